import { importCsv, type ImportOptions } from '../../../lib/import';
import type { SubscriberStore } from '../../../lib/store/types';
import {
	BACKENDS,
	csvRows,
	expectImportError,
	openTestStore,
	startServer,
	subscriberByEmail,
	uniqueList,
	type TestBackend,
	type TestServer,
	useIsolatedTmpdir,
} from './helpers';

useIsolatedTmpdir();

describe.each(BACKENDS)('importing from an http(s) URL (%s)', (backend) => {
	let handle: TestBackend;
	let store: SubscriberStore;
	let server: TestServer;
	let listId: string;
	const CSV = 'email,name\n' + csvRows(3000);

	beforeAll(async () => {
		handle = await openTestStore(backend);
		store = handle.store;
		listId = (await store.createList({ name: uniqueList(backend) }, { type: 'test' })).id;
		server = await startServer((req, res) => {
			const url = new URL(req.url ?? '/', 'http://localhost');
			switch (url.pathname) {
				case '/list.csv': {
					// Sent in small pieces, as a slow server would.
					res.writeHead(200, { 'content-type': 'text/csv' });
					const body = Buffer.from(CSV);
					let offset = 0;
					const pump = () => {
						if (offset >= body.length) return void res.end();
						res.write(body.subarray(offset, (offset += 7000)));
						setImmediate(pump);
					};
					return pump();
				}
				case '/moved':
					res.writeHead(302, { location: '/list.csv' });
					return void res.end();
				case '/loop':
					res.writeHead(302, { location: '/loop' });
					return void res.end();
				case '/to-file':
					res.writeHead(302, { location: 'file:///etc/passwd' });
					return void res.end();
				case '/silent':
					return; // never answers
				case '/stall':
					res.writeHead(200, { 'content-type': 'text/csv' });
					return void res.write('email,name\n' + csvRows(5000)); // ~120 KB, then nothing, forever
				case '/forever': {
					res.writeHead(200, { 'content-type': 'text/csv' });
					res.write('email,name\n');
					let index = 0;
					const pump = () => {
						if (res.destroyed) return;
						let chunk = '';
						for (let n = 0; n < 500; n++, index++) chunk += `endless${index}@example.com,Endless\n`;
						if (res.write(chunk)) setImmediate(pump);
						else res.once('drain', pump);
					};
					return pump();
				}
				case '/declared-huge':
					res.writeHead(200, {
						'content-type': 'text/csv',
						'content-length': String(5 * 1024 * 1024 * 1024),
					});
					return void res.write('email\n');
				default:
					res.writeHead(404, { 'content-type': 'text/plain' });
					return void res.end('not here');
			}
		});
	});
	afterAll(async () => {
		await server?.close();
		await handle?.close();
	});

	const fromUrl = (
		path: string,
		options: Partial<ImportOptions> = {},
		http: NonNullable<Extract<ImportOptions['source'], { url: string }>['http']> = {},
	) =>
		importCsv(store, { source: { url: `${server.url}${path}`, http }, list: listId, ...options });

	test('a CSV served in pieces is streamed in and imported; redirects are followed', async () => {
		const result = await fromUrl('/list.csv', { batchSize: 1000 });
		expect(result.summary).toMatchObject({ rows: 3000, created: 3000, batches: 3 });
		const moved = await fromUrl('/moved');
		expect(moved.summary).toMatchObject({ rows: 3000, unchanged: 3000 });
		expect(await subscriberByEmail(store, listId, 'user2999@example.com')).not.toBeNull();
	});

	test('404: a clear message that shows no query string (signed URLs carry secrets)', async () => {
		const error = await expectImportError(fromUrl('/missing.csv?token=s3cr3t'));
		expect(error.code).toBe('source-unavailable');
		expect(error.message).toBe(
			`Downloading ${server.url}/missing.csv?… failed: the server answered HTTP 404 Not Found (check the URL)`,
		);
		expect(error.message).not.toContain('s3cr3t');
	});

	test('a server that never answers times out', async () => {
		const started = Date.now();
		const error = await expectImportError(fromUrl('/silent', {}, { timeoutMs: 300 }));
		expect(error.code).toBe('source-timeout');
		expect(error.message).toBe(
			`Downloading ${server.url}/silent timed out: no response within 0.3 s`,
		);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	test('a body that stalls mid-way stops after the idle timeout; the rows already read are committed', async () => {
		const error = await expectImportError(
			fromUrl('/stall', { batchSize: 1000 }, { idleTimeoutMs: 300 }),
		);
		expect(error.code).toBe('source-timeout');
		expect(error.message).toMatch(
			new RegExp(`^No data arrived from ${server.url}/stall for 0.3 s; the download was stopped`),
		);
		// The last line waits for the byte after its line break (it could have been CRLF).
		expect(error.result?.summary).toMatchObject({ rows: 4999, committedRows: 4999 });
		expect(error.message).toContain('4,999 rows in 5 batches were committed before the failure');
	});

	test('a body that streams forever is cut off at maxBytes', async () => {
		const error = await expectImportError(
			fromUrl('/forever', { maxBytes: 1024 * 1024, dryRun: true }),
		);
		expect(error.code).toBe('too-large');
		expect(error.message).toMatch(
			new RegExp(
				`^${server.url.replace(/[.]/g, '\\.')}/forever is larger than the 1 MB limit \\(stopped after 1(\\.\\d)? MB\\)`,
			),
		);
		expect(error.result?.summary.rows).toBeGreaterThan(10_000);
	});

	test('a declared Content-Length over the limit is refused before reading', async () => {
		const error = await expectImportError(fromUrl('/declared-huge'));
		expect(error.code).toBe('too-large');
		expect(error.message).toContain('is 5120 MB, larger than the 200 MB limit');
	});

	test('only http and https: other schemes and redirects to them are refused; redirect loops are bounded', async () => {
		const ftp = await expectImportError(
			importCsv(store, { source: { url: 'ftp://example.com/list.csv' }, list: listId }),
		);
		expect(ftp.code).toBe('invalid-option');
		expect(ftp.message).toBe("Only http and https URLs can be imported; 'ftp:' is not allowed");
		const file = await expectImportError(fromUrl('/to-file'));
		expect(file.code).toBe('source-unavailable');
		expect(file.message).toBe(
			`Downloading ${server.url}/to-file failed: it redirected to a 'file:' URL; only http and https are followed`,
		);
		const loop = await expectImportError(fromUrl('/loop', {}, { maxRedirects: 3 }));
		expect(loop.message).toContain('more than 3 redirects');
	});

	test('a refused connection says so', async () => {
		const closed = await startServer(() => undefined);
		const url = closed.url;
		await closed.close();
		const error = await expectImportError(
			importCsv(store, { source: { url: `${url}/x.csv` }, list: listId }),
		);
		expect(error.code).toBe('source-unavailable');
		expect(error.message).toBe(
			`Downloading ${url}/x.csv failed: the connection was refused (is the server up?)`,
		);
	});
});
