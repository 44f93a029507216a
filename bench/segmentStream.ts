/**
 * The stream part of bench:segments (#19): how fast a campaign over the benchmark segment hands
 * recipients to the sender, and whether its memory stays flat.
 *
 *   const stream = await measureStream(fixture.config, data);   // data: seedSegmentsBench's
 *   → { streamRowsPerSec, peakRssRatio, streamed, plainStreamed, plainRowsPerSec, batch, chunk, … }
 *
 * streamRowsPerSec: the campaign's recipient reader — what the runner does between the store and
 * the SMTP engine: claim a keyset batch (the audience's lists, the segment frozen at `data.at`,
 * one row per address, the send-log insert) and, per chunk, the pre-send check that marks the
 * rows `sending` and returns them with their fields — over the whole audience, sending stubbed
 * (nothing is composed or sent). Rows handed over ÷ seconds spent in those two calls; the stub
 * sender's outcomes are written as the runner writes them (so the send log stays as in a real
 * run), timed apart: withOutcomesRowsPerSec counts them too. A segment campaign writes its whole
 * audience to the send log when it starts (lib/store audience.ts materialiseAudience): that
 * one-off cost is segmentStartMs, and withStartRowsPerSec counts it in.
 *
 * floorRowsPerSec: what no recipient reader can beat on this machine and backend, whatever its
 * design: per chunk of the same recipients, one transaction that only reads them (their address,
 * name, fields and status, for the pre-send check and the message) and durably writes one row (the
 * least that can say "these may be in flight" before SMTP sees them, so that a crash never mails
 * anyone twice), and commits. No per-row write, no suppression or pause check. Run after the
 * stream, over the pages it warmed, so it is if anything too high.
 *
 * withoutRowMarksRowsPerSec: what the reader would reach if claims and `sending` marks wrote no
 * send-log row (range claims with their own crash recovery, not built; docs/segments.md): per chunk
 * of the same recipients, one transaction that locks the campaign, takes the next chunk of its
 * send-log rows by the state index, reads their subscribers, checks them against the suppression
 * list and the paused providers, durably writes one row and commits. Run after the stream, over
 * the rows the stream recorded `sent` (the same index walk a claim of `queued` rows makes).
 *
 * peakRssRatio: peak RSS of a child process streaming the segment campaign (3 lists + segment)
 * over that of a child streaming a plain one-list campaign (the first list, no segment), each in
 * its own process so each peak is its own. Target: streamRowsPerSec ≥ 100,000, peakRssRatio ≤ 1.10.
 *
 * Run as a child: `node --import tsx bench/segmentStream.ts --child '<json>'` (done by measureStream).
 */
import { spawn } from 'node:child_process';
import { createCampaign } from '../lib/campaign';
import type { LogResult, SqlDriver, SqlExecutor } from '../lib/store';
import { lockCampaign } from '../lib/store/campaigns';
import { idsParam, inIds } from '../lib/store/dialect';
import { openStore, type StoreConfig } from '../lib/store/openStore';
import { pausedProviders } from '../lib/store/providerPauses';
import { parseJson } from '../lib/store/rows';
import { byState } from '../lib/store/sendLog';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { suppressedHashes } from '../lib/store/suppressions';

const actor = { type: 'bench' };
/** The runner's default claim size. */
export const STREAM_BATCH = 500;
/** The runner's pre-send chunk with maxInFlight 100 (a fast pooled sender, 25 connections). */
export const STREAM_CHUNK = 100;

interface ChildInput {
	config: StoreConfig;
	kind: 'segment' | 'plain';
	listIds: string[];
	segment: Record<string, unknown>;
	at: string;
	batch: number;
	chunk: number;
}

interface ChildResult {
	kind: 'segment' | 'plain';
	streamed: number;
	/** The reader's time: claims and pre-send checks. */
	seconds: number;
	/** The stub sender's outcome writes. */
	recordSeconds: number;
	startMs: number;
	peakRssMb: number;
	/** The floor's time over the same recipients (segment only; see the file comment). */
	floorSeconds?: number;
	/** The pre-send check without per-row marks over the same recipients (segment only). */
	withoutRowMarksSeconds?: number;
}

function sent(subscriberId: string, email: string): LogResult {
	return { subscriberId, state: 'sent', attempts: 1, messageId: null, response: '250 stub', responseCode: 250, error: null, bounce: null, email };
}

/** One campaign streamed to the end in this process. */
async function streamCampaign(input: ChildInput): Promise<ChildResult> {
	const store = (await openStore(input.config)) as SqlSubscriberStore;
	try {
		const audience =
			input.kind === 'segment' ? { listIds: input.listIds, segment: { definition: input.segment } } : { listId: input.listIds[0] };
		const campaign = await createCampaign(
			store,
			{ name: `Stream ${input.kind} ${Date.now()}`, ...audience, template: { subject: 'Hi {{ name }}', text: 'Hello', from: 'bench@example.com' } },
			actor,
		);
		const runs = store.campaignRuns;
		const now = Date.parse(input.at);
		const leaseMs = 24 * 60 * 60 * 1000;
		const owner = `bench-${input.kind}`;
		const startAt = process.hrtime.bigint();
		const started = await runs.start(campaign.id, { now, resume: false, actor });
		if (!started.run) throw new Error(`the ${input.kind} campaign did not start (${started.reason})`);
		const startMs = Number(process.hrtime.bigint() - startAt) / 1e6;
		let streamed = 0;
		const handed: string[] = [];
		let reading = 0n;
		let recording = 0n;
		for (;;) {
			let at = process.hrtime.bigint();
			const claim = await runs.claim(campaign.id, { owner, now, leaseMs, size: input.batch, retryUnknown: false });
			reading += process.hrtime.bigint() - at;
			for (let i = 0; i < claim.ids.length; i += input.chunk) {
				at = process.hrtime.bigint();
				const marked = await runs.markSending(campaign.id, claim.ids.slice(i, i + input.chunk), { owner, now, leaseMs });
				reading += process.hrtime.bigint() - at;
				streamed += marked.ready.length; // handed to the (stubbed) sender
				for (const recipient of marked.ready) handed.push(recipient.id);
				// the stub sender's outcomes, written as the runner writes them (not the reader's time)
				at = process.hrtime.bigint();
				await runs.record(campaign.id, marked.ready.map((r) => sent(r.id, r.email)), { owner, now, actor });
				recording += process.hrtime.bigint() - at;
			}
			if (claim.exhausted) break;
		}
		const floorSeconds = input.kind === 'segment' ? await readAndMarkFloor(store.sql, campaign.id, handed, input.chunk) : undefined;
		const withoutRowMarksSeconds = input.kind === 'segment' ? await preSendWithoutRowMarks(store, campaign.id, input.chunk) : undefined;
		return {
			kind: input.kind,
			streamed,
			seconds: Number(reading) / 1e9,
			recordSeconds: Number(recording) / 1e9,
			startMs,
			peakRssMb: process.resourceUsage().maxRSS / 1024,
			floorSeconds,
			withoutRowMarksSeconds,
		};
	} finally {
		await store.close();
	}
}

/** A chunk's recipients as the pre-send check reads them (address, name, fields, status). */
const readRecipients = (tx: SqlExecutor, ids: string[]) =>
	tx.all(`SELECT id, email, name, fields, status FROM subscribers WHERE id ${inIds(tx.dialect)}`, [idsParam(tx.dialect, ids)]);

/** The one durable one-row write per chunk of the floor and of withoutRowMarks. */
const writeOneRow = (tx: SqlExecutor, campaignId: string) =>
	tx.run('UPDATE campaigns SET updated_at = ? WHERE id = ?', [new Date().toISOString(), campaignId]);

/** Seconds for the floor of the file comment over `ids`, through the store's own driver. */
async function readAndMarkFloor(sql: SqlDriver, campaignId: string, ids: string[], chunk: number): Promise<number> {
	const start = process.hrtime.bigint();
	for (let i = 0; i < ids.length; i += chunk) {
		const slice = ids.slice(i, i + chunk);
		await sql.transaction(async (tx) => {
			await readRecipients(tx, slice);
			await writeOneRow(tx, campaignId);
		});
	}
	return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Seconds for the withoutRowMarks figure of the file comment: the campaign's `sent` rows, chunk by
 * chunk, through the pre-send check's reads with one durable one-row write per chunk.
 */
async function preSendWithoutRowMarks(store: SqlSubscriberStore, campaignId: string, chunk: number): Promise<number> {
	const sql = store.sql;
	let after = '0';
	const start = process.hrtime.bigint();
	for (let more = true; more; ) {
		more = await sql.transaction(async (tx) => {
			await lockCampaign(tx, campaignId, 'id, status');
			const rows = await tx.all(
				`SELECT subscriber_id FROM ${byState(sql.dialect)} WHERE campaign_id = ? AND state = 'sent' AND subscriber_id > ? ORDER BY subscriber_id LIMIT ?`,
				[campaignId, after, chunk],
			);
			if (!rows.length) return false;
			const ids = rows.map((r) => String(r.subscriber_id));
			const subscribers = await readRecipients(tx, ids);
			await suppressedHashes(tx, subscribers.map((s) => store.hashEmail(String(s.email))));
			await pausedProviders(tx, campaignId);
			for (const s of subscribers) parseJson(s.fields, {}); // the recipient's fields, as handed over
			await writeOneRow(tx, campaignId);
			after = ids[ids.length - 1];
			return true;
		});
	}
	return Number(process.hrtime.bigint() - start) / 1e9;
}

function runChild(input: ChildInput): Promise<ChildResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(input)], {
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) return reject(new Error(`the ${input.kind} stream child exited with ${code}`));
			try {
				resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
			} catch (error) {
				reject(error as Error);
			}
		});
	});
}

/** The stream figures over a seeded store (bench/segmentsData.ts seedSegmentsBench's result). */
export async function measureStream(
	config: StoreConfig,
	data: { listIds: string[]; segment: Record<string, unknown>; at: string },
	options: { batch?: number; chunk?: number } = {},
): Promise<Record<string, number>> {
	const base = { config, listIds: data.listIds, segment: data.segment, at: data.at, batch: options.batch ?? STREAM_BATCH, chunk: options.chunk ?? STREAM_CHUNK };
	const plain = await runChild({ ...base, kind: 'plain' });
	const segment = await runChild({ ...base, kind: 'segment' });
	return {
		streamRowsPerSec: Math.round(segment.streamed / segment.seconds),
		peakRssRatio: Math.round((segment.peakRssMb / plain.peakRssMb) * 1000) / 1000,
		streamed: segment.streamed,
		segmentStartMs: Math.round(segment.startMs),
		plainStreamed: plain.streamed,
		plainRowsPerSec: Math.round(plain.streamed / plain.seconds),
		withOutcomesRowsPerSec: Math.round(segment.streamed / (segment.seconds + segment.recordSeconds)),
		withStartRowsPerSec: Math.round(segment.streamed / (segment.seconds + segment.startMs / 1000)),
		floorRowsPerSec: Math.round(segment.streamed / (segment.floorSeconds ?? NaN)),
		withoutRowMarksRowsPerSec: Math.round(segment.streamed / (segment.withoutRowMarksSeconds ?? NaN)),
		segmentPeakRssMb: Math.round(segment.peakRssMb),
		plainPeakRssMb: Math.round(plain.peakRssMb),
		batch: base.batch,
		chunk: base.chunk,
	};
}

if (process.argv[2] === '--child') {
	streamCampaign(JSON.parse(process.argv[3]) as ChildInput)
		.then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
		.catch((error) => {
			console.error(error);
			process.exit(1);
		});
}
