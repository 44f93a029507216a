import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import type { Actor, BulkUpsertRow } from '../../../lib/store/types';

export const actor: Actor = { type: 'test', id: 'ops-tests' };

const WRITER = path.join(__dirname, 'fixtures', 'storeWriter.ts');

export interface WriterProcess {
	child: ChildProcessWithoutNullStreams;
	ready: Promise<void>;
	/** Asks it to stop; resolves with what it wrote. */
	stop(): Promise<{ batches: number; rows: number }>;
}

/** Starts another process writing to (or, with idle, only holding open) a SQLite store. */
export function startWriter(config: {
	baseDir: string;
	file: string;
	listId: string;
	prefix: string;
	batch?: number;
	idle?: boolean;
}): WriterProcess {
	const child = spawn(process.execPath, ['--import', 'tsx', WRITER, JSON.stringify(config)], {
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	let markReady: () => void = () => undefined;
	let fail: (error: Error) => void = () => undefined;
	const ready = new Promise<void>((resolve, reject) => {
		markReady = resolve;
		fail = reject;
	});
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		if (stdout.includes('ready\n')) markReady();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const exited = new Promise<number | null>((resolve) => {
		child.on('exit', (code) => {
			fail(new Error(`writer exited early (${code}): ${stderr}`));
			resolve(code);
		});
	});
	return {
		child,
		ready,
		async stop() {
			child.stdin.end('stop\n');
			const code = await exited;
			if (code !== 0) throw new Error(`writer failed (${code}): ${stderr}`);
			return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
		},
	};
}

export async function addSubscribers(
	store: SqlSubscriberStore,
	listId: string,
	count: number,
	prefix: string,
	extra: (i: number) => Partial<BulkUpsertRow> = () => ({}),
): Promise<void> {
	for (let from = 0; from < count; from += 1000) {
		const rows: BulkUpsertRow[] = [];
		for (let i = from; i < Math.min(count, from + 1000); i++) {
			rows.push({ email: `${prefix}${i}@example.org`, name: `${prefix} person ${i}`, ...extra(i) });
		}
		await store.bulkUpsert(listId, rows, {}, actor);
	}
}

/**
 * Reads a store file directly: its subscriber count, and the sum of `created` over the bulk-upsert
 * audit entries. Every subscriber here comes from a bulk upsert, which writes its rows and its
 * audit entry in one transaction — so in a consistent copy the two numbers are equal.
 */
export function snapshotCounts(file: string): { subscribers: number; audited: number; integrity: string } {
	const db = new DatabaseSync(file, { readOnly: true });
	try {
		const integrity = String(Object.values(db.prepare('PRAGMA integrity_check').get() ?? {})[0]);
		const subscribers = Number((db.prepare('SELECT COUNT(*) AS n FROM subscribers').get() as { n: number }).n);
		const audited = Number(
			(
				db
					.prepare("SELECT COALESCE(SUM(json_extract(details, '$.created')), 0) AS n FROM audit_log WHERE action = 'subscriber.bulk-upsert'")
					.get() as { n: number }
			).n,
		);
		return { subscribers, audited, integrity };
	} finally {
		db.close();
	}
}
