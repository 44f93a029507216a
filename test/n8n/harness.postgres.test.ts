/** Proves the real-n8n harness with n8n's own database on the local PostgreSQL. */
import { existsSync } from 'node:fs';
import { createN8nInstance } from './harness';
import { manualSetWorkflow } from './builtinWorkflows';
import { withPostgres } from '../helpers/services';

jest.setTimeout(240_000);

describe('n8n harness on PostgreSQL', () => {
	it('runs n8n on a fresh database of its own and drops it on cleanup', async () => {
		const started = Date.now();
		const n8n = await createN8nInstance({ dbType: 'postgres' });
		const created = Date.now();
		const database = n8n.database;
		expect(database).toMatch(/^bm_n8n_/);
		let executed = created;
		try {
			await n8n.importWorkflow(manualSetWorkflow('harnessPgMan001'));
			const result = await n8n.execute('harnessPgMan001');
			executed = Date.now();
			expect(result.json('Set Greeting')).toEqual([{ greeting: 'hello', answer: 42 }]);
			const stored = await withPostgres(
				(client) => client.query('SELECT name FROM workflow_entity WHERE id = $1', ['harnessPgMan001']),
				database,
			);
			expect(stored.rows).toEqual([{ name: 'Harness: manual → set' }]);
		} finally {
			await n8n.cleanup();
		}
		process.stderr.write(
			`[harness timings ms, postgres] ${JSON.stringify({ create: created - started, importAndExecute: executed - created })}\n`,
		);
		const left = await withPostgres((client) =>
			client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]),
		);
		expect(left.rowCount).toBe(0);
		expect(existsSync(n8n.userFolder)).toBe(false);
	});
});
