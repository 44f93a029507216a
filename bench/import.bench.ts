/**
 * CSV import benchmark (issue 3). Generates into bench/.data/ (gitignored) a 1,000,000-row and a
 * 100,000-row 6-column UTF-8 CSV and a 100,000-row Shift_JIS one, imports each into a fresh store
 * on each backend — every import in its own child process, so `peakRssMb` (the child's maximum
 * resident set size) belongs to that import alone — and prints one JSON line per (backend, file):
 *
 *   {"backend":"sqlite","file":"utf8-1m","rows":1000000,"rowsPerSec":…,"peakRssMb":…, …}
 *
 * Extra fields: durationMs, cpuMs (the child's CPU time), storeMs (time inside bulkUpsert),
 * pgCpuMs (CPU time of the PostgreSQL server processes serving the import; null on SQLite or when
 * the server is not on this machine),
 * newSpaceMb / oldSpaceMb (largest V8 young / old generation), created, invalid, batchSize.
 * Targets (2-core machine) are checked on stderr: SQLite ≥ 50,000 rows/s with peak RSS ≤ 250 MB
 * on the 1M file and within 1.25× of the 100k file; PostgreSQL ≥ 20,000 rows/s.
 *
 *   node --import tsx bench/import.bench.ts [--backend=sqlite,postgres] [--file=utf8-1m,…]
 *     [--batch-size=1000] [--node-flags="--max-semi-space-size=16"]
 *
 * Why newSpaceMb matters: V8 grows its young generation whenever enough data survives
 * scavenges since the last growth, up to a maximum derived from the heap limit (64 MB
 * semi-spaces on a machine this size). A long import reaches that maximum, a short one does not,
 * so the RSS of the 1M run is higher than the 100k run's even though the retained data (old
 * space) is the same; --node-flags passes V8 flags to the children to show that.
 *
 * PostgreSQL, measured on this shared 2-core machine (rows/s follows the load average of the
 * other work on it; batch size 1,000):
 *   load ~5:      utf8-1m 30,212 rows/s, utf8-100k 25,183 rows/s
 *   load ~12:     utf8-1m 23,724 rows/s, utf8-100k 25,378 rows/s
 *   load 15–21:   utf8-1m 5,500 rows/s, utf8-100k 8,044 rows/s; CPU per row: client 13.6 µs,
 *                 server 32.7 µs (1M), i.e. the import got about a quarter of the two cores
 * Until the existing-row lookup was fenced with OFFSET 0 it was planned as a hash join over the
 * whole list (stale statistics), so every batch cost more than the last: 4,448–6,435 rows/s.
 *
 * Children run a bundle of this file made with esbuild (tsx's own compiler), so their memory is
 * that of compiled JavaScript, as in n8n, not of an in-process TypeScript compiler.
 * PostgreSQL: PGHOST / PGPORT / PGUSER / PGPASSWORD / PGDATABASE (default 127.0.0.1:5432 postgres/test).
 */
import { spawn } from 'node:child_process';
import {
	createReadStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Client } from 'pg';
import { DEFAULT_BATCH_SIZE, importCsv } from '../lib/import';
import { openStore } from '../lib/store';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import type { SubscriberStore } from '../lib/store/types';
import { generateCsv, type GeneratedEncoding } from './gen-csv';

// The children run from a bundle inside bench/.data, so __dirname is that folder there.
const DATA_DIR = path.basename(__dirname) === '.data' ? __dirname : path.join(__dirname, '.data');

type Backend = 'sqlite' | 'postgres';
const BACKENDS: Backend[] = ['sqlite', 'postgres'];

interface BenchFile {
	id: string;
	rows: number;
	encoding: GeneratedEncoding;
}
const FILES: BenchFile[] = [
	{ id: 'utf8-1m', rows: 1_000_000, encoding: 'utf8' },
	{ id: 'utf8-100k', rows: 100_000, encoding: 'utf8' },
	{ id: 'sjis-100k', rows: 100_000, encoding: 'sjis' },
];
/** Bump when the generator's output changes, so stale files are regenerated. */
const DATA_VERSION = 1;

const PG = {
	host: process.env.PGHOST ?? '127.0.0.1',
	port: Number(process.env.PGPORT ?? 5432),
	user: process.env.PGUSER ?? 'postgres',
	password: process.env.PGPASSWORD,
	database: process.env.PGDATABASE ?? 'test',
};

export interface BenchLine {
	backend: Backend;
	file: string;
	rows: number;
	rowsPerSec: number;
	peakRssMb: number;
	durationMs: number;
	/** CPU time of the importing process (user + system): less sensitive to a busy machine. */
	cpuMs: number;
	storeMs: number;
	/** CPU time of this import's PostgreSQL backends: with cpuMs, what a row costs on a busy machine. */
	pgCpuMs: number | null;
	/** Largest V8 young / old generation seen (sampled every 50 ms): what the peak RSS is made of. */
	newSpaceMb: number;
	oldSpaceMb: number;
	created: number;
	invalid: number;
	batchSize: number;
}

function argument(name: string): string | undefined {
	const prefix = `--${name}=`;
	return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const csvPath = (file: BenchFile) => path.join(DATA_DIR, `${file.id}.csv`);

async function ensureData(files: BenchFile[]): Promise<void> {
	mkdirSync(DATA_DIR, { recursive: true });
	for (const file of files) {
		const target = csvPath(file);
		const stamp = `${target}.meta.json`;
		const wanted = JSON.stringify({
			rows: file.rows,
			encoding: file.encoding,
			version: DATA_VERSION,
		});
		if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) continue;
		const started = performance.now();
		await generateCsv(target, file.rows, file.encoding);
		writeFileSync(stamp, wanted);
		console.error(
			`generated ${path.relative(process.cwd(), target)} (${file.rows.toLocaleString('en-US')} rows, ` +
				`${Math.round(statSync(target).size / 1e6)} MB) in ${Math.round(performance.now() - started)} ms`,
		);
	}
}

/** Bundles this file for the child processes; null if esbuild is not available (then tsx is used). */
async function bundleChild(): Promise<string | null> {
	try {
		const esbuild = (await import('esbuild')) as typeof import('esbuild');
		const outfile = path.join(DATA_DIR, 'import-bench.cjs');
		await esbuild.build({
			entryPoints: [__filename],
			outfile,
			bundle: true,
			platform: 'node',
			format: 'cjs',
			target: 'node22',
			packages: 'external',
			logLevel: 'error',
		});
		return outfile;
	} catch (error) {
		console.error(`esbuild unavailable (${(error as Error).message}); children run through tsx`);
		return null;
	}
}

function runChild(
	bundle: string | null,
	backend: Backend,
	file: BenchFile,
	batchSize: number,
	nodeFlags: string[],
): Promise<BenchLine> {
	const args = [...nodeFlags, ...(bundle ? [bundle] : ['--import', 'tsx', __filename])];
	args.push('--child', `--backend=${backend}`, `--file=${file.id}`, `--batch-size=${batchSize}`);
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, {
			stdio: ['ignore', 'pipe', 'inherit'],
			env: process.env,
		});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
		child.on('error', reject);
		child.on('close', (code) => {
			const line = output.trim().split('\n').pop() ?? '';
			if (code !== 0 || !line.startsWith('{')) {
				reject(
					new Error(
						`${backend}/${file.id}: the benchmark child exited with ${code}: ${output.trim()}`,
					),
				);
				return;
			}
			resolve(JSON.parse(line) as BenchLine);
		});
	});
}

/** Local ports of this process's TCP connections to the PostgreSQL port (Linux /proc). */
function ownPostgresPorts(): number[] {
	const sockets = new Set<string>();
	for (const fd of readdirSync('/proc/self/fd')) {
		try {
			const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
			if (inode) sockets.add(inode);
		} catch {
			// closed meanwhile
		}
	}
	const ports: number[] = [];
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		if (!existsSync(table)) continue;
		for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
			const columns = line.trim().split(/\s+/);
			const [local, remote, inode] = [columns[1], columns[2], columns[9]];
			if (sockets.has(inode) && parseInt(remote.split(':')[1], 16) === PG.port) {
				ports.push(parseInt(local.split(':')[1], 16));
			}
		}
	}
	return ports;
}

/** CPU milliseconds used so far by each server process serving this process's connections. */
async function postgresBackendCpu(store: SubscriberStore): Promise<Map<number, number> | null> {
	try {
		const sql = (store as SqlSubscriberStore).sql;
		const rows = await sql.all<{ pid: number }>(
			'SELECT pid FROM pg_stat_activity WHERE client_port = ANY(?::int[])',
			[ownPostgresPorts()],
		);
		const ticksPerMs = 100 / 1000; // USER_HZ: 100 on Linux
		const cpu = new Map<number, number>();
		for (const { pid } of rows) {
			const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
			// utime and stime: fields 14 and 15 of proc(5), 12 and 13 after the command name.
			cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
		}
		return cpu;
	} catch {
		return null; // the server runs elsewhere, or /proc is not readable
	}
}

async function openFreshStore(
	backend: Backend,
): Promise<{ store: SubscriberStore; dispose: () => Promise<void> }> {
	if (backend === 'sqlite') {
		mkdirSync(path.join(DATA_DIR, 'stores'), { recursive: true });
		const dir = mkdtempSync(path.join(DATA_DIR, 'stores', 'sqlite-'));
		const store = await openStore({ backend: 'sqlite', file: 'bench.sqlite', baseDir: dir });
		return {
			store,
			dispose: async () => {
				await store.close();
				rmSync(dir, { recursive: true, force: true });
			},
		};
	}
	const schema = `bench_import_${process.pid}_${Date.now()}`;
	const store = await openStore({ backend: 'postgres', ...PG, schema });
	return {
		store,
		dispose: async () => {
			await store.close();
			const client = new Client(PG);
			await client.connect();
			await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
			await client.end();
		},
	};
}

/** One import in this (child) process; prints its JSON line. */
async function child(): Promise<void> {
	const backend = argument('backend') as Backend;
	const file = FILES.find((candidate) => candidate.id === argument('file'));
	const batchSize = Number(argument('batch-size') ?? DEFAULT_BATCH_SIZE);
	if (!BACKENDS.includes(backend) || !file)
		throw new Error(`bad child arguments: ${process.argv.slice(2).join(' ')}`);
	const { store, dispose } = await openFreshStore(backend);
	let storeMs = 0;
	const bulkUpsert = store.bulkUpsert.bind(store);
	store.bulkUpsert = async (...args) => {
		const started = performance.now();
		try {
			return await bulkUpsert(...args);
		} finally {
			storeMs += performance.now() - started;
		}
	};
	try {
		const spaces = { new: 0, old: 0 };
		const sampler = setInterval(() => {
			for (const space of v8.getHeapSpaceStatistics()) {
				if (space.space_name === 'new_space') spaces.new = Math.max(spaces.new, space.space_size);
				if (space.space_name === 'old_space') spaces.old = Math.max(spaces.old, space.space_size);
			}
		}, 50);
		const pgCpuBefore = backend === 'postgres' ? await postgresBackendCpu(store) : null;
		const started = performance.now();
		const cpuBefore = process.cpuUsage();
		const result = await importCsv(store, {
			source: { stream: createReadStream(csvPath(file)), name: `${file.id}.csv` },
			list: 'bench',
			createList: true,
			batchSize,
			actor: { type: 'bench' },
			// Diagnostics only: parse and validate without writing (the engine's own cost).
			dryRun: process.argv.includes('--dry-run'),
		});
		const durationMs = performance.now() - started;
		const cpu = process.cpuUsage(cpuBefore);
		clearInterval(sampler);
		const pgCpuAfter = pgCpuBefore ? await postgresBackendCpu(store) : null;
		let pgCpuMs: number | null = null;
		if (pgCpuBefore && pgCpuAfter) {
			pgCpuMs = 0;
			for (const [pid, ms] of pgCpuAfter) pgCpuMs += ms - (pgCpuBefore.get(pid) ?? 0);
		}
		if (result.reportPath) rmSync(result.reportPath, { force: true });
		const line: BenchLine = {
			backend,
			file: file.id,
			rows: result.summary.rows,
			rowsPerSec: Math.round(result.summary.rows / (durationMs / 1000)),
			// resourceUsage().maxRSS is the process's peak resident set size, in kilobytes.
			peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
			durationMs: Math.round(durationMs),
			cpuMs: Math.round((cpu.user + cpu.system) / 1000),
			storeMs: Math.round(storeMs),
			pgCpuMs: pgCpuMs === null ? null : Math.round(pgCpuMs),
			newSpaceMb: Math.round(spaces.new / 1024 / 1024),
			oldSpaceMb: Math.round(spaces.old / 1024 / 1024),
			created: result.summary.created,
			invalid: result.summary.invalid,
			batchSize,
		};
		process.stdout.write(`${JSON.stringify(line)}\n`);
	} finally {
		await dispose();
	}
}

function checkTargets(lines: BenchLine[]): string[] {
	const verdicts: string[] = [];
	const find = (backend: Backend, file: string) =>
		lines.find((line) => line.backend === backend && line.file === file);
	const sqlite1m = find('sqlite', 'utf8-1m');
	const sqlite100k = find('sqlite', 'utf8-100k');
	if (sqlite1m) {
		verdicts.push(
			`sqlite utf8-1m ≥ 50,000 rows/s: ${sqlite1m.rowsPerSec >= 50_000 ? 'met' : 'MISSED'} (${sqlite1m.rowsPerSec})`,
		);
		verdicts.push(
			`sqlite utf8-1m peak RSS ≤ 250 MB: ${sqlite1m.peakRssMb <= 250 ? 'met' : 'MISSED'} (${sqlite1m.peakRssMb} MB)`,
		);
		if (sqlite100k) {
			const ratio = sqlite1m.peakRssMb / sqlite100k.peakRssMb;
			verdicts.push(
				`sqlite peak RSS 1m/100k ≤ 1.25: ${ratio <= 1.25 ? 'met' : 'MISSED'} (${ratio.toFixed(2)})`,
			);
		}
	}
	for (const line of lines.filter((candidate) => candidate.backend === 'postgres')) {
		verdicts.push(
			`postgres ${line.file} ≥ 20,000 rows/s: ${line.rowsPerSec >= 20_000 ? 'met' : 'MISSED'} (${line.rowsPerSec})`,
		);
	}
	return verdicts;
}

async function main(): Promise<void> {
	const backends = (argument('backend')?.split(',') ?? BACKENDS) as Backend[];
	const fileIds = argument('file')?.split(',');
	const files = fileIds ? FILES.filter((file) => fileIds.includes(file.id)) : FILES;
	const batchSize = Number(argument('batch-size') ?? DEFAULT_BATCH_SIZE);
	const nodeFlags = argument('node-flags')?.split(' ').filter(Boolean) ?? [];
	await ensureData(files);
	const bundle = await bundleChild();
	const lines: BenchLine[] = [];
	for (const backend of backends) {
		for (const file of files) {
			const line = await runChild(bundle, backend, file, batchSize, nodeFlags);
			lines.push(line);
			process.stdout.write(`${JSON.stringify(line)}\n`);
		}
	}
	for (const verdict of checkTargets(lines)) console.error(verdict);
}

(process.argv.includes('--child') ? child() : main()).catch((error) => {
	console.error(error instanceof Error ? error.stack : error);
	process.exit(1);
});
