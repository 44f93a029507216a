/**
 * The per-provider pause of a campaign: sender-side refusals (lib/bounce kind `sender`) are
 * counted per receiving provider and minute; when one provider's refusals in the window cross the
 * policy (lib/bounce shouldPauseProvider), its recipients are held (send_log state `held`) while
 * the rest of the campaign goes on. Beside the complaint-rate pause, which stops the whole
 * campaign (complaints are about the list or the content, everywhere), this one stops only where
 * the refusals come from. Campaign → Start with Resume Paused Providers sends to them again.
 */
import {
	describeProvider,
	providerById,
	providerPauseReason,
	receivingProvider,
	shouldPauseProvider,
	type FailureReason,
	type ProviderPausePolicy,
} from '../bounce';
import { recordAudit } from './auditLog';
import { maskAddresses } from './email';
import type { SqlExecutor } from './driver';
import type { Actor } from './types';

export interface ProviderPause {
	provider: string;
	/** `Microsoft (outlook.com, hotmail.com, …)`. */
	name: string;
	pausedAt: string;
	reason: string;
}

/** One outcome as the pause counts it: an attempt, and whether it was a sender-side refusal. */
export interface ProviderOutcome {
	email: string;
	bounce: { kind: string; reason: FailureReason; diagnostic: string | null } | null;
}

const STATS_ROWS_PER_STATEMENT = 200;

function minuteOf(iso: string): string {
	return `${iso.slice(0, 16)}:00.000Z`;
}

/** The campaign's paused providers (id → pause). */
export async function pausedProviders(tx: SqlExecutor, campaignId: string): Promise<Map<string, ProviderPause>> {
	const rows = await tx.all('SELECT provider, paused_at, reason FROM campaign_provider_pauses WHERE campaign_id = ? ORDER BY paused_at', [
		campaignId,
	]);
	return new Map(
		rows.map((row) => {
			const provider = String(row.provider);
			return [
				provider,
				{ provider, name: describeProvider(providerById(provider)), pausedAt: String(row.paused_at), reason: String(row.reason) },
			];
		}),
	);
}

/**
 * Counts a flush's outcomes per provider and minute, adds the sender-side refusals to the
 * campaign's sender health, and pauses each provider whose window now crosses the policy
 * (audited). Runs in the flush's transaction; returns the providers paused by it.
 */
export async function countProviderOutcomes(
	tx: SqlExecutor,
	campaignId: string,
	outcomes: ProviderOutcome[],
	options: { now: string; policy: ProviderPausePolicy | false; actor: Actor },
): Promise<ProviderPause[]> {
	const byProvider = new Map<string, { attempts: number; refusals: number; reason: FailureReason | null; diagnostic: string | null }>();
	let refusedTotal = 0;
	for (const outcome of outcomes) {
		const id = receivingProvider(outcome.email).id;
		const entry = byProvider.get(id) ?? { attempts: 0, refusals: 0, reason: null, diagnostic: null };
		entry.attempts++;
		if (outcome.bounce?.kind === 'sender') {
			entry.refusals++;
			entry.reason = outcome.bounce.reason;
			// kept in the campaign's figures and the pause's reason, which an erasure does not reach
			entry.diagnostic = maskAddresses(outcome.bounce.diagnostic);
			refusedTotal++;
		}
		byProvider.set(id, entry);
	}
	if (refusedTotal) {
		await tx.run('UPDATE campaigns SET sender_refused = sender_refused + ? WHERE id = ?', [refusedTotal, campaignId]);
	}
	if (!options.policy) return [];
	const policy = options.policy;
	const minute = minuteOf(options.now);
	const since = minuteOf(new Date(Date.parse(options.now) - (policy.windowMinutes - 1) * 60_000).toISOString());
	// one statement per flush, however many providers (a list has many domains)
	const entries = [...byProvider];
	for (let start = 0; start < entries.length; start += STATS_ROWS_PER_STATEMENT) {
		const chunk = entries.slice(start, start + STATS_ROWS_PER_STATEMENT);
		await tx.run(
			`INSERT INTO campaign_provider_stats (campaign_id, provider, minute, attempts, refusals, last_reason, last_diagnostic)
			 VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
			 ON CONFLICT (campaign_id, provider, minute) DO UPDATE SET attempts = campaign_provider_stats.attempts + excluded.attempts,
			 refusals = campaign_provider_stats.refusals + excluded.refusals,
			 last_reason = COALESCE(excluded.last_reason, campaign_provider_stats.last_reason),
			 last_diagnostic = COALESCE(excluded.last_diagnostic, campaign_provider_stats.last_diagnostic)`,
			chunk.flatMap(([provider, entry]) => [campaignId, provider, minute, entry.attempts, entry.refusals, entry.reason, entry.diagnostic]),
		);
	}
	// minutes that left the window say nothing any more (the table stays providers × window small)
	await tx.run('DELETE FROM campaign_provider_stats WHERE campaign_id = ? AND minute < ?', [campaignId, since]);
	const paused: ProviderPause[] = [];
	if (!refusedTotal) return paused;
	const already = await pausedProviders(tx, campaignId);
	for (const [provider, entry] of entries) {
		if (!entry.refusals || already.has(provider)) continue;
		const window = await tx.get(
			`SELECT COALESCE(SUM(attempts), 0) AS attempts, COALESCE(SUM(refusals), 0) AS refusals FROM campaign_provider_stats
			 WHERE campaign_id = ? AND provider = ? AND minute >= ?`,
			[campaignId, provider, since],
		);
		const counts = { attempts: Number(window?.attempts ?? 0), refusals: Number(window?.refusals ?? 0) };
		if (!shouldPauseProvider(counts, policy)) continue;
		const reason = providerPauseReason(providerById(provider), { ...counts, reason: entry.reason, diagnostic: entry.diagnostic }, policy);
		await tx.run(
			'INSERT INTO campaign_provider_pauses (campaign_id, provider, paused_at, reason) VALUES (?, ?, ?, ?) ON CONFLICT (campaign_id, provider) DO NOTHING',
			[campaignId, provider, options.now, reason],
		);
		await recordAudit(tx, options.actor, 'campaign.provider-pause', 'campaign', campaignId, { provider, ...counts, reason });
		paused.push({ provider, name: describeProvider(providerById(provider)), pausedAt: options.now, reason });
	}
	return paused;
}

/**
 * Splits recipients about to be sent: those of a paused provider are held in the send log (with
 * the pause's reason), the rest go on. Runs in markSending's transaction.
 */
export async function holdPausedRecipients<T extends { id: string; email: string }>(
	tx: SqlExecutor,
	campaignId: string,
	recipients: T[],
	options: { now: string; owner: string },
): Promise<{ go: T[]; held: number }> {
	const paused = await pausedProviders(tx, campaignId);
	if (!paused.size) return { go: recipients, held: 0 };
	const go: T[] = [];
	const heldBy = new Map<string, string[]>();
	for (const recipient of recipients) {
		const provider = receivingProvider(recipient.email).id;
		if (!paused.has(provider)) go.push(recipient);
		else heldBy.set(provider, [...(heldBy.get(provider) ?? []), recipient.id]);
	}
	let held = 0;
	for (const [provider, ids] of heldBy) {
		const result = await tx.run(
			`UPDATE send_log SET state = 'held', error = ?, owner = NULL, lease_until = NULL, updated_at = ?
			 WHERE campaign_id = ? AND subscriber_id IN (${ids.map(() => '?').join(', ')}) AND state = 'claimed' AND owner = ?`,
			[paused.get(provider)!.reason, options.now, campaignId, ...ids, options.owner],
		);
		held += result.changes;
	}
	return { go, held };
}

/** Sends to paused providers again: their pauses end and their held recipients queue (audited). */
export async function resumeProviders(
	tx: SqlExecutor,
	campaignId: string,
	options: { now: string; actor: Actor },
): Promise<{ providers: string[]; requeued: number }> {
	const paused = await pausedProviders(tx, campaignId);
	const requeued = await tx.run(
		"UPDATE send_log SET state = 'queued', error = NULL, updated_at = ? WHERE campaign_id = ? AND state = 'held'",
		[options.now, campaignId],
	);
	if (!paused.size && !requeued.changes) return { providers: [], requeued: 0 };
	await tx.run('DELETE FROM campaign_provider_pauses WHERE campaign_id = ?', [campaignId]);
	await tx.run('DELETE FROM campaign_provider_stats WHERE campaign_id = ?', [campaignId]);
	const providers = [...paused.keys()];
	await recordAudit(tx, options.actor, 'campaign.provider-resume', 'campaign', campaignId, { providers, requeued: requeued.changes });
	return { providers, requeued: requeued.changes };
}

/** A sender-side refusal reported later (a webhook, returned mail) counts in the campaign's sender health. */
export async function countSenderRefusal(tx: SqlExecutor, campaignId: string): Promise<void> {
	await tx.run('UPDATE campaigns SET sender_refused = sender_refused + 1 WHERE id = ?', [campaignId]);
}
