/**
 * A finished campaign with a realistic event history in a real store (SQLite or PostgreSQL), for
 * the report tests and screenshots: a few thousand recipients over Japanese and Western domains,
 * opens and clicks spread over two days with a daily rhythm in Japan time, Apple-proxy opens
 * (unknown), scanner hits right after delivery (machine), bounces of several reasons, complaints
 * and unsubscribes. Events go through the store's own history writer (recordCampaignHistoryIn),
 * so the rollups the report reads are the ones real traffic produces. Fixed seed: same numbers
 * every run.
 */
import { createCampaign } from '../../lib/campaign';
import { recordSendsIn, type HistoryEvent, type SqlSubscriberStore } from '../../lib/store';
import type { Actor } from '../../lib/store/types';

const actor: Actor = { type: 'test', id: 'report-seed' };

const DOMAINS: Array<[string, number]> = [
	['gmail.com', 0.34],
	['yahoo.co.jp', 0.18],
	['docomo.ne.jp', 0.1],
	['icloud.com', 0.09],
	['ezweb.ne.jp', 0.07],
	['outlook.com', 0.06],
	['softbank.ne.jp', 0.05],
	['nifty.com', 0.04],
	['biglobe.ne.jp', 0.03],
	['example.co.jp', 0.04],
];

export const SEED_LINKS = [
	'https://shop.example.jp/sale/winter',
	'https://shop.example.jp/items/coat-1234',
	'https://shop.example.jp/items/knit-5678',
	'https://shop.example.jp/coupon/WINTER10',
	'https://blog.example.jp/2026/12/styling-tips',
	'https://shop.example.jp/stores/tokyo',
];

const BOUNCES: Array<[HistoryEvent['bounceKind'], string, string]> = [
	['hard', 'userunknown', '5.1.1'],
	['hard', 'hostunknown', '5.1.2'],
	['soft', 'mailboxfull', '4.2.2'],
	['soft', 'suspend', '4.2.1'],
	['sender', 'blocked', '5.7.1'],
];

const HUMAN_AGENT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const APPLE_PROXY_AGENT = 'Mozilla/5.0';
const SCANNER_AGENT = 'Mozilla/5.0 (compatible; Barracuda Sentinel)';

function seeded(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state * 1664525 + 1013904223) >>> 0;
		return state / 0x100000000;
	};
}

export interface SeededReportCampaign {
	campaignId: string;
	listId: string;
	recipients: number;
	/** Events handed to the history writer, by type. */
	events: Record<HistoryEvent['type'], number>;
}

export interface SeedReportOptions {
	recipients?: number;
	name?: string;
	/** The send's start (default 2026-12-01T00:00Z, 09:00 in Tokyo). */
	start?: Date;
	/** The campaign's links may use a plain-http base URL (local tests). */
	allowInsecureHttp?: boolean;
}

/** Hour offset (from the start) of an open: most on the first morning, an evening bump, a second day. */
function openHour(random: () => number): number {
	for (;;) {
		const hour = Math.floor(random() * 48);
		const local = (9 + hour) % 24;
		const daytime = local >= 7 && local <= 23 ? 1 : 0.12;
		const evening = local >= 19 && local <= 22 ? 1.6 : 1;
		if (random() < Math.exp(-hour / 14) * daytime * evening) return hour;
	}
}

// Long on purpose: one linear script of the whole campaign's life; splitting it hides the story.
export async function seedReportCampaign(store: SqlSubscriberStore, options: SeedReportOptions = {}): Promise<SeededReportCampaign> {
	const random = seeded(18);
	const total = options.recipients ?? 3000;
	const start = options.start ?? new Date('2026-12-01T00:00:00.000Z');
	const list = await store.createList({ name: `${options.name ?? 'Winter sale'} list` }, actor);
	const rows = Array.from({ length: total }, (_, index) => {
		let pick = random();
		let domain = DOMAINS[DOMAINS.length - 1][0];
		for (const [name, share] of DOMAINS) {
			if ((pick -= share) < 0) {
				domain = name;
				break;
			}
		}
		return { email: `reader${String(index).padStart(5, '0')}@${domain}`, ref: index };
	});
	await store.bulkUpsert(list.id, rows, {}, actor);
	const subscribers = (await store.sql.all('SELECT id, email FROM subscribers WHERE list_id = ? ORDER BY id', [list.id])).map((row) => ({
		id: String(row.id),
		email: String(row.email),
	}));
	const campaign = await createCampaign(
		store,
		{
			name: options.name ?? 'Winter sale 2026 / 冬のセール',
			listId: list.id,
			template: { subject: 'Winter sale', html: SEED_LINKS.map((url) => `<a href="${url}">${url}</a>`).join(' '), from: 'news@shop.example.jp' },
			...(options.allowInsecureHttp ? { composeOptions: { allowInsecureHttp: true } } : {}),
		},
		actor,
	);
	// The send: 12 recipients refused before acceptance, the rest accepted over 40 minutes.
	const failed = new Set(subscribers.filter((_, index) => index % 250 === 7).map((s) => s.id));
	const sentAt = new Map<string, number>();
	const logRows = subscribers.map((subscriber, index) => {
		const at = start.getTime() + Math.floor((index / subscribers.length) * 40 * 60_000);
		if (!failed.has(subscriber.id)) sentAt.set(subscriber.id, at);
		return [campaign.id, subscriber.id, failed.has(subscriber.id) ? 'failed' : 'sent', new Date(at).toISOString()];
	});
	for (let i = 0; i < logRows.length; i += 200) {
		const chunk = logRows.slice(i, i + 200);
		await store.sql.run(
			`INSERT INTO send_log (campaign_id, subscriber_id, state, updated_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
			chunk.flat(),
		);
	}
	const sent = subscribers.filter((s) => !failed.has(s.id));
	const events: HistoryEvent[] = [];
	const iso = (ms: number) => new Date(ms).toISOString();
	let complaints = 0;
	let unsubscribes = 0;
	for (const subscriber of sent) {
		const delivered = sentAt.get(subscriber.id)!;
		const roll = random();
		if (roll < 0.035) {
			const [kind, reason, status] = BOUNCES[Math.floor(random() * BOUNCES.length)];
			events.push({ campaignId: campaign.id, subscriberId: subscriber.id, type: 'bounce', occurredAt: iso(delivered + 60_000 + random() * 3 * 3_600_000), bounceKind: kind, reason, smtpStatus: status });
			continue;
		}
		if (random() < 0.03) {
			// a security gateway fetches the pixel and a link within seconds of delivery
			events.push({ campaignId: campaign.id, subscriberId: subscriber.id, type: 'open', occurredAt: iso(delivered + 1_500), evidence: { userAgent: SCANNER_AGENT } });
		}
		if (roll > 0.42) continue; // never opened
		const apple = subscriber.email.endsWith('@icloud.com') || random() < 0.08;
		const opens = 1 + Math.floor(random() * 2.2);
		let first = 0;
		for (let n = 0; n < opens; n++) {
			const at = start.getTime() + openHour(random) * 3_600_000 + Math.floor(random() * 3_600_000);
			const when = Math.max(at, delivered + 60_000);
			if (!first || when < first) first = when;
			events.push({ campaignId: campaign.id, subscriberId: subscriber.id, type: 'open', occurredAt: iso(when), evidence: { userAgent: apple ? APPLE_PROXY_AGENT : HUMAN_AGENT, ip: apple ? '17.58.0.10' : '203.0.113.5' } });
		}
		if (random() < 0.3) {
			const clicks = 1 + Math.floor(random() * 1.6);
			for (let n = 0; n < clicks; n++) {
				const url = SEED_LINKS[Math.min(SEED_LINKS.length - 1, Math.floor(-Math.log(1 - random() * 0.95) * 1.6))];
				events.push({
					campaignId: campaign.id,
					subscriberId: subscriber.id,
					type: 'click',
					occurredAt: iso(first + 20_000 + Math.floor(random() * 600_000)),
					templateUrl: url,
					url: `${url}?utm_source=mail`,
					evidence: { userAgent: HUMAN_AGENT, ip: '203.0.113.5' },
				});
			}
		}
		if (random() < 0.012) {
			unsubscribes++;
			events.push({ campaignId: campaign.id, subscriberId: subscriber.id, type: 'unsubscribe', occurredAt: iso(first + 90_000) });
		} else if (random() < 0.008) {
			complaints++;
			events.push({ campaignId: campaign.id, subscriberId: subscriber.id, type: 'complaint', occurredAt: iso(first + 120_000) });
		}
	}
	events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
	for (let i = 0; i < events.length; i += 500) {
		const chunk = events.slice(i, i + 500);
		await store.transaction((tx) => store.recordCampaignHistoryIn(tx, chunk));
	}
	// The send log's per-recipient marks, as the campaign counters set them for webhook events.
	const MARKS: Partial<Record<HistoryEvent['type'], string>> = { bounce: 'bounced_at', complaint: 'complained_at', unsubscribe: 'unsubscribed_at' };
	for (const event of events) {
		const column = MARKS[event.type];
		if (!column) continue;
		await store.sql.run(`UPDATE send_log SET ${column} = ? WHERE campaign_id = ? AND subscriber_id = ?`, [event.occurredAt, campaign.id, event.subscriberId]);
	}
	// Until the send path counts domains itself (report-store), count the accepted messages here.
	const before = await store.getCampaignReport(campaign.id, { topDomains: 1000 });
	if (before.domains.every((domain) => domain.sent === 0)) {
		await store.transaction((tx) => recordSendsIn(tx, campaign.id, sent.map((s) => s.email)));
	}
	const bounced = events.filter((e) => e.type === 'bounce').length;
	await store.sql.run(
		"UPDATE campaigns SET status = 'finished', total_recipients = ?, sent = ?, failed = ?, bounced = ?, complained = ?, unsubscribed = ?, started_at = ?, finished_at = ? WHERE id = ?",
		[total, sent.length, failed.size, bounced, complaints, unsubscribes, iso(start.getTime()), iso(start.getTime() + 41 * 60_000), campaign.id],
	);
	const counts = { open: 0, click: 0, bounce: 0, complaint: 0, unsubscribe: 0, delivered: 0 };
	for (const event of events) counts[event.type]++;
	return { campaignId: campaign.id, listId: list.id, recipients: total, events: counts };
}
