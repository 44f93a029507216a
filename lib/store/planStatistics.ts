/**
 * PostgreSQL's statistics of the send log, kept good enough for its plans.
 *
 * PostgreSQL plans every send-log statement from the table's statistics, and those know nothing
 * of a campaign whose rows were written after the last ANALYZE: with autovacuum off, or with a
 * send log so large that autovacuum's threshold (10 % of the table) is far away, the planner
 * estimates such a campaign at one row. It then reads "the rows of campaign X" through any index
 * that starts with campaign_id and filters the rest, so each lookup of one recipient walks the
 * whole campaign: recording an open on a campaign of 100,000 just sent took 2.6 ms (a webhook
 * batch of three opens 11 ms) instead of 0.02 ms by the primary key, and the cost grows with the
 * campaign.
 *
 * So a run asks the planner what it believes when the run starts, renews its leases and ends, and
 * when the campaign has over ten times the rows the planner expects, refreshes the statistics of
 * the two columns the send log's statements select by. SQLite keeps no per-value statistics (and
 * its hot statements name their index): nothing to do there.
 */
import type { SqlDriver } from './driver';

/** Below this many rows a whole-campaign walk costs less than the check. */
const MIN_ROWS = 1_000;
/** A refresh when the planner expects fewer than 1 / STALE_FACTOR of the campaign's rows. */
const STALE_FACTOR = 10;

/** The planner's estimate of the campaign's send-log rows. */
export async function estimatedCampaignRows(driver: SqlDriver, campaignId: string): Promise<number> {
	const row = await driver.get<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
		'EXPLAIN (FORMAT JSON) SELECT 1 FROM send_log WHERE campaign_id = ?',
		[campaignId],
	);
	return Number(row?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0);
}

/**
 * Refreshes the send log's statistics (campaign_id, state) when PostgreSQL expects far fewer rows
 * of the campaign than the `rows` it has (a count, or a function that reads it: called only on
 * PostgreSQL); returns whether it did. Never fails the caller: the statistics only make plans
 * better. The ANALYZE waits at most a second for its lock (another ANALYZE or a VACUUM of the
 * table holds it), and then gives up until the next check.
 */
export async function refreshStaleSendLogStatistics(
	driver: SqlDriver,
	campaignId: string,
	rows: number | (() => Promise<number>),
): Promise<boolean> {
	if (driver.dialect !== 'postgres') return false;
	try {
		const count = typeof rows === 'number' ? rows : await rows();
		if (count < MIN_ROWS) return false;
		if ((await estimatedCampaignRows(driver, campaignId)) * STALE_FACTOR >= count) return false;
		await driver.transaction(async (tx) => {
			await tx.exec("SET LOCAL lock_timeout = '1s'");
			await tx.exec('ANALYZE send_log (campaign_id, state)');
		});
		return true;
	} catch {
		return false;
	}
}
