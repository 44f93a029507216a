/**
 * CSS inlining with juice, once per template at compile time, with the Liquid constructs
 * hidden behind marker words so the HTML parser cannot re-encode them (`{% if a > b %}`).
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

import { ComposeError } from './errors';
import {
	makeMarkerNonce,
	markerPattern,
	maskConstructs,
	positionAt,
	type LiquidConstruct,
} from './liquidSource';

type Juice = (html: string, options?: Record<string, unknown>) => string;

const JUICE_OPTIONS = {
	applyStyleTags: true,
	removeStyleTags: true,
	preserveMediaQueries: true,
	preserveFontFaces: true,
	preserveKeyFrames: true,
	preservePseudos: true,
	preserveImportant: true,
	insertPreservedExtraCss: true,
	applyWidthAttributes: true,
	applyHeightAttributes: true,
	applyAttributesTableElements: true,
	xmlMode: false,
};

// juice 12 is an ES module. Node ≥ 22.12 `require`s it directly; hosts whose `require` cannot
// load ES modules (Jest without --experimental-vm-modules) get it through a worker thread,
// which has Node's own loader, called synchronously (compilation stays synchronous).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, juicePath } = workerData;
const flag = new Int32Array(signal);
const loaded = require(juicePath);
const juice = loaded.default || loaded;
port.on('message', ({ html, options }) => {
	let reply;
	try { reply = { html: juice(html, options) }; }
	catch (error) { reply = { error: String((error && error.message) || error) }; }
	port.postMessage(reply);
	Atomics.store(flag, 0, 1);
	Atomics.notify(flag, 0);
});
`;

function juiceInWorker(): Juice {
	const signal = new SharedArrayBuffer(4);
	const flag = new Int32Array(signal);
	const { port1, port2 } = new MessageChannel();
	const worker = new Worker(WORKER_SOURCE, {
		eval: true,
		workerData: { port: port2, signal, juicePath: require.resolve('juice') },
		transferList: [port2],
	});
	worker.unref();
	port1.unref();
	return (html, options) => {
		Atomics.store(flag, 0, 0);
		port1.postMessage({ html, options });
		const waited = Atomics.wait(flag, 0, 0, 60_000);
		const reply = receiveMessageOnPort(port1)?.message as
			{ html?: string; error?: string } | undefined;
		if (!reply) {
			throw new Error(waited === 'timed-out' ? 'juice timed out' : 'juice gave no answer');
		}
		if (reply.error !== undefined) throw new Error(reply.error);
		return reply.html as string;
	};
}

let juice: Juice | null = null;

function loadJuice(): Juice {
	if (juice) return juice;
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const loaded = require('juice') as { default?: Juice } & Juice;
		juice = loaded.default ?? loaded;
	} catch (error) {
		if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
		juice = juiceInWorker();
	}
	return juice;
}

/** Inlines `<style>` rules into `style` attributes; Liquid constructs come out unchanged. */
export function inlineCss(html: string, constructs: readonly LiquidConstruct[]): string {
	const nonce = makeMarkerNonce(html);
	let inlined: string;
	try {
		inlined = loadJuice()(maskConstructs(html, constructs, nonce), JUICE_OPTIONS);
	} catch (error) {
		throw new ComposeError(
			'css-inlining',
			`CSS inlining of the HTML body failed: ${(error as Error).message}. Fix the CSS or turn CSS inlining off`,
			{ template: 'html' },
		);
	}
	// Outputs may be copied (a rule applied to several elements) or dropped (a rule that
	// matches nothing); tags must come through exactly once and in order.
	const tagOrder: number[] = [];
	const restored = inlined.replace(markerPattern(nonce), (_marker, index: string) => {
		const i = Number(index);
		const construct = constructs[i];
		if (!construct) return '';
		if (construct.kind !== 'output') tagOrder.push(i);
		return html.slice(construct.start, construct.end);
	});
	const expectedTags = constructs.flatMap((c, i) => (c.kind === 'output' ? [] : [i]));
	const misplaced =
		expectedTags.find((index, i) => tagOrder[i] !== index) ??
		(tagOrder.length > expectedTags.length ? tagOrder[expectedTags.length] : undefined);
	if (misplaced !== undefined) {
		const { line, column } = positionAt(html, constructs[misplaced].start);
		throw new ComposeError(
			'css-inlining',
			`CSS inlining would drop, copy or move the Liquid tag at line ${line}, column ${column} of the HTML body (tags inside <style> cannot be inlined). Move it out of the <style> block or turn CSS inlining off`,
			{ template: 'html', line, column },
		);
	}
	return restored;
}
