/**
 * `cli.js classify-bounce <file or folder>…`: classifies saved messages (.eml files, or every
 * file in a folder, recursively, in name order) and writes one JSON line per message:
 *   {"file", "type", "recipients": [{"address", "kind", "reason", "status", "replyCode", "diagnostic"}]}
 * or {"file", "error"} for a file that cannot be read. Lines are written as each message is done,
 * so a large folder streams.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { classifyBounce } from '../bounce';

export interface ClassifyFilesResult {
	/** Marks a result already written line by line (the CLI prints nothing more). */
	streamed: true;
	read: number;
	unreadable: number;
}

/** Files named on the command line, folders expanded; a missing path is reported, not thrown. */
function expand(target: string, onError: (file: string, message: string) => void): string[] {
	let stat;
	try {
		stat = statSync(target);
	} catch (error) {
		onError(target, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message);
		return [];
	}
	if (!stat.isDirectory()) return [target];
	return readdirSync(target)
		.filter((name) => !name.startsWith('.'))
		.sort()
		.flatMap((name) => expand(path.join(target, name), onError));
}

export function classifyBounceFiles(targets: string[], write: (line: string) => void): ClassifyFilesResult {
	let read = 0;
	let unreadable = 0;
	const fail = (file: string, message: string) => {
		unreadable++;
		write(`${JSON.stringify({ file, error: message })}\n`);
	};
	for (const target of targets) {
		for (const file of expand(target, fail)) {
			let raw: Buffer;
			try {
				raw = readFileSync(file);
			} catch (error) {
				fail(file, (error as Error).message);
				continue;
			}
			read++;
			const result = classifyBounce(raw);
			const recipients = result.recipients.map(({ address, kind, reason, status, replyCode, diagnostic }) => ({ address, kind, reason, status, replyCode, diagnostic }));
			write(`${JSON.stringify({ file, type: result.type, recipients, ...(result.note ? { note: result.note } : {}) })}\n`);
		}
	}
	return { streamed: true, read, unreadable };
}
