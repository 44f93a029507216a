/**
 * Command line for store operations outside n8n (cron, an operator's shell). Built into
 * dist/lib/ops/cli.js, so an installed package can run it too:
 *
 *   node dist/lib/ops/cli.js backup  --file newsletter.sqlite [--dir <store folder>] [--keep 7]
 *   node dist/lib/ops/cli.js list    --file newsletter.sqlite [--dir <store folder>]
 *   node dist/lib/ops/cli.js verify  <backup file>
 *   node dist/lib/ops/cli.js restore --file newsletter.sqlite --from <backup file or name> [--dir …]
 *   node dist/lib/ops/cli.js export  --file newsletter.sqlite --out <folder> [--dir …] [--no-bom]
 *   node dist/lib/ops/cli.js classify-bounce <file or folder>…   (one JSON line per message)
 *
 * The store folder defaults as for the nodes: BULK_MAIL_STORE_DIR, else
 * <N8N_USER_FOLDER or home>/.n8n/bulk-mail. Results are printed as JSON; errors go to stderr
 * with exit code 1 (2 for a usage error). classify-bounce streams JSON lines instead and exits 0
 * when every file was read, 1 when some could not be (each gets an {"file","error"} line).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultStoreDir, openStore, resolveStoreFile } from '../store';
import { backupSqliteFile, defaultBackupDir, inspectSqliteBackup, listBackups, restoreSqliteStore } from './backup';
import { classifyBounceFiles, type ClassifyFilesResult } from './classifyBounces';
import { exportEverythingToFolder } from './portability';

const USAGE = `usage:
  backup  --file <store file> [--dir <store folder>] [--keep <generations, default 7>]
  list    --file <store file> [--dir <store folder>]
  verify  <backup file>
  restore --file <store file> --from <backup file, or its name in the backups folder> [--dir <store folder>]
          (stop n8n and its workers first; the current file is kept as <name>.before-restore-<time>.sqlite)
  export  --file <store file> --out <folder> [--dir <store folder>] [--no-bom]
  classify-bounce <file or folder>…   (saved messages; one JSON line each: type, failed recipients, reason, kind)
PostgreSQL stores: back up with pg_dump --format=custom --schema=<schema> <database>.`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: string; flags: Map<string, string | true>; positional: string[] } {
	const [command = '', ...rest] = argv;
	const flags = new Map<string, string | true>();
	const positional: string[] = [];
	for (let i = 0; i < rest.length; i++) {
		const arg = rest[i];
		if (!arg.startsWith('--')) {
			positional.push(arg);
			continue;
		}
		const name = arg.slice(2);
		const next = rest[i + 1];
		if (name.startsWith('no-') || next === undefined || next.startsWith('--')) flags.set(name, true);
		else {
			flags.set(name, next);
			i++;
		}
	}
	return { command, flags, positional };
}

function required(flags: Map<string, string | true>, name: string): string {
	const value = flags.get(name);
	if (typeof value !== 'string' || !value.trim()) throw new UsageError(`--${name} is required`);
	return value;
}

export async function runCli(argv: string[], write: (line: string) => void = (line) => process.stdout.write(line)): Promise<unknown> {
	const { command, flags, positional } = parseArgs(argv);
	const dir = path.resolve(typeof flags.get('dir') === 'string' ? String(flags.get('dir')) : defaultStoreDir());
	const storeFile = () => resolveStoreFile(required(flags, 'file'), dir);
	switch (command) {
		case 'backup': {
			const keep = flags.has('keep') ? Number(flags.get('keep')) : undefined;
			return backupSqliteFile(storeFile(), { keep });
		}
		case 'list':
			return listBackups(storeFile());
		case 'verify': {
			if (!positional[0]) throw new UsageError('verify needs the backup file');
			return inspectSqliteBackup(path.resolve(positional[0]));
		}
		case 'restore': {
			const file = storeFile();
			const from = required(flags, 'from');
			const inBackups = path.join(defaultBackupDir(file), from);
			const backupFile = !from.includes(path.sep) && existsSync(inBackups) ? inBackups : path.resolve(from);
			return restoreSqliteStore({ storeFile: file, backupFile, actor: { type: 'cli', name: 'restore' } });
		}
		case 'export': {
			const file = storeFile();
			if (!existsSync(file)) throw new Error(`There is no store file ${file}`);
			const out = path.resolve(required(flags, 'out'));
			const store = await openStore({ backend: 'sqlite', file: path.relative(dir, file), baseDir: dir });
			try {
				return await exportEverythingToFolder(store, out, { bom: !flags.has('no-bom') });
			} finally {
				await store.close();
			}
		}
		case 'classify-bounce': {
			if (positional.length === 0) throw new UsageError('classify-bounce needs at least one file or folder');
			return classifyBounceFiles(positional, write);
		}
		default:
			throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
	}
}

function isStreamed(result: unknown): result is ClassifyFilesResult {
	return typeof result === 'object' && result !== null && (result as ClassifyFilesResult).streamed === true;
}

if (require.main === module) {
	runCli(process.argv.slice(2)).then(
		(result) => {
			if (isStreamed(result)) {
				process.exitCode = result.unreadable > 0 ? 1 : 0;
				return;
			}
			process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
		},
		(error) => {
			process.stderr.write(`${error.message}\n`);
			if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
			process.exit(error instanceof UsageError ? 2 : 1);
		},
	);
}
