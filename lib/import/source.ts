import { Readable } from 'node:stream';
import { ImportError, type HttpSourceOptions, type ImportSource } from './types';

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;
/** Slices handed downstream: big chunks would make the parser emit thousands of rows at once. */
const SLICE_BYTES = 64 * 1024;

export interface OpenedSource {
	/** Byte chunks of at most 64 KB, capped at `maxBytes`, with the idle timeout applied. */
	chunks: AsyncGenerator<Buffer, void, undefined>;
	/** A secret-free description for messages (URL without credentials or query). */
	label: string;
	bytesRead: () => number;
}

/** A URL as it may appear in messages: no user:password, no query string (signed URLs). */
export function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`;
	} catch {
		return '(invalid URL)';
	}
}

function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
	if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
	return `${bytes} bytes`;
}

export async function openSource(
	source: ImportSource,
	options: { maxBytes?: number; signal?: AbortSignal },
): Promise<OpenedSource> {
	const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
	if (!Number.isFinite(maxBytes) || maxBytes <= 0) {
		throw new ImportError(
			`maxBytes must be a positive number of bytes, got ${String(maxBytes)}`,
			'invalid-option',
		);
	}
	if ('url' in source) {
		const response = await fetchUrl(source.url, source.http ?? {}, maxBytes, options.signal);
		return limit(response.body, {
			label: redactUrl(source.url),
			maxBytes,
			idleTimeoutMs: source.http?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
			signal: options.signal,
			describeError: (error) =>
				describeHttpError(
					error,
					redactUrl(source.url),
					source.http?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
					0,
				),
		});
	}
	if ('buffer' in source) {
		const buffer = Buffer.isBuffer(source.buffer) ? source.buffer : Buffer.from(source.buffer);
		return limit(Readable.from([buffer], { objectMode: false }), {
			label: source.name ?? 'the file',
			maxBytes,
			signal: options.signal,
		});
	}
	if ('stream' in source && source.stream) {
		const stream =
			source.stream instanceof Readable
				? source.stream
				: Readable.from(source.stream as AsyncIterable<unknown>);
		return limit(stream, { label: source.name ?? 'the file', maxBytes, signal: options.signal });
	}
	throw new ImportError(
		'No CSV source given: pass a stream, a buffer or an http(s) URL',
		'invalid-option',
	);
}

function limit(
	stream: Readable,
	options: {
		label: string;
		maxBytes: number;
		idleTimeoutMs?: number;
		signal?: AbortSignal;
		describeError?: (error: unknown) => ImportError;
	},
): OpenedSource {
	let total = 0;
	async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
		const iterator = stream[Symbol.asyncIterator]();
		try {
			while (true) {
				const next = await nextWithTimeout(
					iterator,
					options.idleTimeoutMs,
					options.label,
					options.signal,
				);
				if (next.done) return;
				const value = next.value as unknown;
				const chunk = Buffer.isBuffer(value)
					? value
					: typeof value === 'string'
						? Buffer.from(value, 'utf8')
						: Buffer.from(value as Uint8Array);
				total += chunk.length;
				if (total > options.maxBytes) {
					throw new ImportError(
						`${capitalise(options.label)} is larger than the ${formatBytes(options.maxBytes)} limit ` +
							`(stopped after ${formatBytes(total)}); raise maxBytes if the file is really that big`,
						'too-large',
					);
				}
				for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
					yield chunk.subarray(offset, offset + SLICE_BYTES);
				}
			}
		} catch (error) {
			if (error instanceof ImportError) throw error;
			throw options.describeError
				? options.describeError(error)
				: new ImportError(
						`Reading ${options.label} failed: ${(error as Error)?.message ?? String(error)}`,
						'source-unavailable',
					);
		} finally {
			// Closes the socket / file handle when we stop early (error, abort, fatal row).
			if (!stream.destroyed) stream.destroy();
		}
	}
	return { chunks: chunks(), label: options.label, bytesRead: () => total };
}

/** Sentence case for 'the file'; URLs are left as they are. */
export function capitalise(text: string): string {
	return /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
		? text
		: text.charAt(0).toUpperCase() + text.slice(1);
}

async function nextWithTimeout<T>(
	iterator: AsyncIterator<T>,
	idleTimeoutMs: number | undefined,
	label: string,
	signal: AbortSignal | undefined,
): Promise<IteratorResult<T>> {
	if (signal?.aborted) throw new ImportError('The import was cancelled', 'aborted');
	if (!idleTimeoutMs && !signal) return iterator.next();
	let timer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	const guards = new Promise<never>((_, reject) => {
		if (idleTimeoutMs) {
			timer = setTimeout(
				() =>
					reject(
						new ImportError(
							`No data arrived from ${label} for ${idleTimeoutMs / 1000} s; the download was stopped`,
							'source-timeout',
						),
					),
				idleTimeoutMs,
			);
		}
		if (signal) {
			onAbort = () => reject(new ImportError('The import was cancelled', 'aborted'));
			signal.addEventListener('abort', onAbort, { once: true });
		}
	});
	try {
		return await Promise.race([iterator.next(), guards]);
	} finally {
		if (timer) clearTimeout(timer);
		if (onAbort) signal?.removeEventListener('abort', onAbort);
	}
}

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

async function fetchUrl(
	url: string,
	http: HttpSourceOptions,
	maxBytes: number,
	signal: AbortSignal | undefined,
): Promise<{ body: Readable }> {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ImportError(`'${redactUrl(url)}' is not a valid URL`, 'invalid-option');
	}
	if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) {
		throw new ImportError(
			`Only http and https URLs can be imported; '${parsed.protocol}' is not allowed`,
			'invalid-option',
		);
	}
	const label = redactUrl(url);
	const timeoutMs = http.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const maxRedirects = http.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
	try {
		// Loaded on first use: axios and its dependencies add ~27 MB of RSS that file imports never need.
		const { default: axios } = await import('axios');
		const response = await axios.get<Readable>(parsed.toString(), {
			responseType: 'stream',
			timeout: timeoutMs,
			maxRedirects,
			// No maxContentLength: the byte counter in limit() enforces maxBytes with a clearer message.
			headers: http.headers,
			signal,
			validateStatus: () => true,
			beforeRedirect: (options: Record<string, unknown>) => {
				const protocol = String(options.protocol ?? '');
				if (!ALLOWED_PROTOCOLS.has(protocol)) {
					throw new ImportError(
						`Downloading ${label} failed: it redirected to a '${protocol}' URL; only http and ` +
							'https are followed',
						'source-unavailable',
					);
				}
			},
		});
		const body = response.data;
		if (response.status >= 400) {
			body.destroy();
			throw new ImportError(
				`Downloading ${label} failed: the server answered HTTP ${response.status}` +
					`${response.statusText ? ` ${response.statusText}` : ''}` +
					(response.status === 404 ? ' (check the URL)' : ''),
				'source-unavailable',
			);
		}
		if (response.status >= 300) {
			body.destroy();
			throw new ImportError(
				`Downloading ${label} failed: HTTP ${response.status} redirect was not followed ` +
					`(more than ${maxRedirects} redirects, or no Location header)`,
				'source-unavailable',
			);
		}
		const declared = Number(response.headers['content-length']);
		if (Number.isFinite(declared) && declared > maxBytes) {
			body.destroy();
			throw new ImportError(
				`${capitalise(label)} is ${formatBytes(declared)}, larger than the ${formatBytes(maxBytes)} limit; ` +
					'raise maxBytes if the file is really that big',
				'too-large',
			);
		}
		return { body };
	} catch (error) {
		if (error instanceof ImportError) throw error;
		throw describeHttpError(error, label, timeoutMs, maxRedirects);
	}
}

function describeHttpError(
	error: unknown,
	label: string,
	timeoutMs: number,
	maxRedirects: number,
): ImportError {
	// Our own refusal (beforeRedirect) arrives wrapped by follow-redirects and axios.
	for (let cause = (error as { cause?: unknown }).cause, depth = 0; cause && depth < 4; depth++) {
		if (cause instanceof ImportError) return cause;
		cause = (cause as { cause?: unknown }).cause;
	}
	const code = (error as { code?: string }).code ?? '';
	if (code === 'ERR_CANCELED' || code === 'ABORT_ERR') {
		return new ImportError('The import was cancelled', 'aborted');
	}
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
		return new ImportError(
			`Downloading ${label} timed out: no response within ${timeoutMs / 1000} s`,
			'source-timeout',
		);
	}
	if (code === 'ECONNREFUSED') {
		return new ImportError(
			`Downloading ${label} failed: the connection was refused (is the server up?)`,
			'source-unavailable',
		);
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		return new ImportError(
			`Downloading ${label} failed: the host name could not be resolved`,
			'source-unavailable',
		);
	}
	if (code === 'ECONNRESET') {
		return new ImportError(
			`Downloading ${label} failed: the server closed the connection`,
			'source-unavailable',
		);
	}
	if (code === 'ERR_FR_TOO_MANY_REDIRECTS') {
		return new ImportError(
			`Downloading ${label} failed: more than ${maxRedirects} redirects`,
			'source-unavailable',
		);
	}
	if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(String((error as Error).message))) {
		return new ImportError(`${capitalise(label)} is larger than the size limit`, 'too-large');
	}
	const message = error instanceof Error ? error.message : String(error);
	return new ImportError(`Downloading ${label} failed: ${message}`, 'source-unavailable');
}
