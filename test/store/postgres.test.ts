import { openStore } from '../../lib/store/openStore';
import { PG_CONNECTION } from '../helpers/stores';
import { storeContract } from './contract';

storeContract('postgres');

describe('PostgreSQL store connection errors', () => {
	it('says when the server refuses the connection', async () => {
		await expect(
			openStore({ backend: 'postgres', ...PG_CONNECTION, port: 1, connectTimeoutMs: 2000 }),
		).rejects.toThrow(/refused the connection/);
	});

	it('says when the database does not exist, without the password', async () => {
		const attempt = openStore({ backend: 'postgres', ...PG_CONNECTION, database: 'no_such_db_bm', password: 's3cret-pw' });
		await expect(attempt).rejects.toThrow(/database 'no_such_db_bm' does not exist/);
		await expect(attempt).rejects.not.toThrow(/s3cret-pw/);
	});

	it('refuses a schema name that is not a plain identifier', async () => {
		await expect(openStore({ backend: 'postgres', ...PG_CONNECTION, schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/schema name/);
	});
});
