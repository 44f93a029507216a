import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import type { Actor, BulkUpsertRow } from '../../../lib/store/types';
import type { TestSmtpServer } from '../../helpers/smtp';

export const actor: Actor = { type: 'test', id: 'campaign-tests' };

export const TEMPLATE = {
	subject: 'News for {{ name | default: "you" }}',
	html: '<p>Hello {{ name | default: "there" }}, your plan is {{ fields.plan | default: "basic" }}.</p>',
	from: 'News <news@sender.example>',
};

export function address(i: number, prefix = 'reader'): string {
	return `${prefix}${i}@example.org`;
}

/** Adds `count` subscribers (active unless `status` says otherwise) in batches; returns their ids. */
export async function addSubscribers(
	store: SqlSubscriberStore,
	listId: string,
	count: number,
	options: {
		prefix?: string;
		start?: number;
		status?: BulkUpsertRow['status'];
		fields?: (i: number) => Record<string, unknown>;
	} = {},
): Promise<void> {
	const start = options.start ?? 0;
	for (let from = 0; from < count; from += 5000) {
		const rows: BulkUpsertRow[] = [];
		for (let i = from; i < Math.min(count, from + 5000); i++) {
			rows.push({
				email: address(start + i, options.prefix),
				name: `Reader ${start + i}`,
				status: options.status,
				fields: options.fields ? options.fields(start + i) : undefined,
			});
		}
		const result = await store.bulkUpsert(listId, rows, {}, actor);
		if (result.created !== rows.length)
			throw new Error(`seeding created ${result.created} of ${rows.length}`);
	}
}

export async function idOf(
	store: SqlSubscriberStore,
	listId: string,
	email: string,
): Promise<string> {
	const subscriber = await store.getSubscriber({ listId, email });
	if (!subscriber) throw new Error(`no subscriber ${email}`);
	return subscriber.id;
}

/** Send-log rows per state. */
export async function logStates(
	store: SqlSubscriberStore,
	campaignId: string,
): Promise<Record<string, number>> {
	const rows = await store.sql.all(
		'SELECT state, COUNT(*) AS n FROM send_log WHERE campaign_id = ? GROUP BY state',
		[campaignId],
	);
	const result: Record<string, number> = {};
	for (const row of rows) result[String(row.state)] = Number(row.n);
	return result;
}

/** The campaign's counters agree with its send log. */
export async function expectCountersMatchLog(
	store: SqlSubscriberStore,
	campaignId: string,
): Promise<void> {
	const states = await logStates(store, campaignId);
	const row = await store.sql.get(
		'SELECT sent, failed, unknown, skipped FROM campaigns WHERE id = ?',
		[campaignId],
	);
	expect({
		sent: Number(row!.sent),
		failed: Number(row!.failed),
		unknown: Number(row!.unknown),
		skipped: Number(row!.skipped),
	}).toEqual({
		sent: states.sent ?? 0,
		failed: states.failed ?? 0,
		unknown: states.unknown ?? 0,
		skipped: states.skipped ?? 0,
	});
}

/** Messages received per recipient address (lower case). */
export function receivedCounts(server: TestSmtpServer): Map<string, number> {
	const counts = new Map<string, number>();
	for (const message of server.messages) {
		for (const rcpt of message.to)
			counts.set(rcpt.toLowerCase(), (counts.get(rcpt.toLowerCase()) ?? 0) + 1);
	}
	return counts;
}

export { seeded } from '../../helpers/random';
