import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { openStore } from '../../../lib/store';
import type { Subscriber, SubscriberStore } from '../../../lib/store/types';
import { ImportError, type ImportResult } from '../../../lib/import';

export const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'import');
export const fixture = (name: string) => path.join(FIXTURES, name);

/**
 * Points os.tmpdir() (where reports go by default) at a folder of this test file's own, removed
 * afterwards, so tests leave no report files behind and never touch another file's. (Jest gives
 * each file its own process.env, which os.tmpdir() does not read, hence the spy.)
 */
export function useIsolatedTmpdir(): void {
	let dir = '';
	let spy: jest.SpyInstance | undefined;
	beforeAll(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'import-tests-'));
		spy = jest.spyOn(os, 'tmpdir').mockReturnValue(dir);
	});
	afterAll(() => {
		spy?.mockRestore();
		rmSync(dir, { recursive: true, force: true });
	});
}

export type BackendName = 'sqlite' | 'postgres';
export const BACKENDS: BackendName[] = ['sqlite', 'postgres'];

const PG = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };

export interface TestBackend {
	store: SubscriberStore;
	close(): Promise<void>;
}

/** A fresh store: a temp SQLite file, or a PostgreSQL schema of its own (dropped on close). */
export async function openTestStore(backend: BackendName): Promise<TestBackend> {
	if (backend === 'sqlite') {
		const dir = mkdtempSync(path.join(tmpdir(), 'import-test-'));
		const store = await openStore({ backend: 'sqlite', file: 'store.sqlite', baseDir: dir });
		return {
			store,
			close: async () => {
				await store.close();
				rmSync(dir, { recursive: true, force: true });
			},
		};
	}
	const schema = `import_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
	const store = await openStore({ backend: 'postgres', ...PG, schema });
	return {
		store,
		close: async () => {
			await store.close();
			const client = new Client(PG);
			await client.connect();
			await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
			await client.end();
		},
	};
}

/** A fresh store of `backend` for the enclosing describe block (opened before, closed after). */
export function useTestStore(backend: BackendName): () => SubscriberStore {
	let handle: TestBackend | undefined;
	beforeAll(async () => {
		handle = await openTestStore(backend);
	});
	afterAll(async () => handle?.close());
	return () => {
		if (!handle) throw new Error('the test store is not open yet');
		return handle.store;
	};
}

let listCounter = 0;
/** A list name no other test uses. */
export const uniqueList = (label = 'list') => `${label}-${process.pid}-${++listCounter}`;

/** Bytes as a stream, in chunks of `chunkSize` (tiny chunks split characters and line endings). */
export function streamOf(data: Buffer | string, chunkSize = 64 * 1024): Readable {
	const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
	const chunks: Buffer[] = [];
	for (let offset = 0; offset < buffer.length; offset += chunkSize)
		chunks.push(buffer.subarray(offset, offset + chunkSize));
	return Readable.from(chunks, { objectMode: false });
}

export async function allSubscribers(
	store: SubscriberStore,
	listId: string,
): Promise<Subscriber[]> {
	const all: Subscriber[] = [];
	let cursor: string | null = null;
	do {
		const page = await store.getSubscribers(
			{ listId, includeTrashed: true },
			{ limit: 1000, cursor },
		);
		all.push(...page.items);
		cursor = page.next;
	} while (cursor);
	return all;
}

export async function subscriberByEmail(
	store: SubscriberStore,
	listId: string,
	email: string,
): Promise<Subscriber | null> {
	return store.getSubscriber({ listId, email });
}

/** Runs `work` and returns the ImportError it throws (fails the test if it does not throw one). */
export async function expectImportError(work: Promise<ImportResult>): Promise<ImportError> {
	try {
		await work;
	} catch (error) {
		if (error instanceof ImportError) return error;
		throw new Error(`Expected an ImportError, got: ${String((error as Error)?.stack ?? error)}`);
	}
	throw new Error('Expected the import to fail, but it succeeded');
}

export function csvRows(count: number, start = 0, domain = 'example.com'): string {
	let text = '';
	for (let index = start; index < start + count; index++)
		text += `user${index}@${domain},User ${index}\n`;
	return text;
}

export interface TestServer {
	url: string;
	close(): Promise<void>;
}

/** A local HTTP server on an OS-chosen port. */
export async function startServer(
	handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
	const server: Server = createServer(handler);
	const sockets = new Set<import('node:net').Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
