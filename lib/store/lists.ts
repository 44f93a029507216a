/** The lists table's one writer: create, rename, delete, and the lookups by id or name. */
import { recordAudit } from './auditLog';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import { isRowId, now, toList } from './rows';
import { StoreError, type Actor, type MailingList } from './types';

export async function createList(
	driver: SqlDriver,
	input: { name: string; description?: string },
	actor: Actor,
): Promise<MailingList> {
	const name = String(input.name ?? '').trim();
	if (!name) throw new StoreError('The list name is empty', 'invalid');
	if (name.length > 200) throw new StoreError('The list name is longer than 200 characters', 'invalid');
	return driver.transaction(async (tx) => {
		const clash = await tx.get('SELECT id FROM lists WHERE name_key = ?', [name.toLowerCase()]);
		if (clash) throw new StoreError(`A list named '${name}' already exists (id ${String(clash.id)})`, 'conflict');
		const at = now();
		const row = await tx.get(
			'INSERT INTO lists (name, name_key, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
			[name, name.toLowerCase(), String(input.description ?? ''), at, at],
		);
		const list = toList(row as Row);
		await recordAudit(tx, actor, 'list.create', 'list', list.id, { name });
		return list;
	});
}

export async function getList(db: SqlExecutor, idOrName: string): Promise<MailingList | null> {
	const key = String(idOrName ?? '').trim();
	if (!key) return null;
	const row = isRowId(key) ? await db.get('SELECT * FROM lists WHERE id = ?', [key]) : undefined;
	const found = row ?? (await db.get('SELECT * FROM lists WHERE name_key = ?', [key.toLowerCase()]));
	return found ? toList(found) : null;
}

export async function getLists(db: SqlExecutor): Promise<MailingList[]> {
	return (await db.all('SELECT * FROM lists ORDER BY id')).map(toList);
}

/** Whether a list with this id exists (no row lock). */
export async function listExists(db: SqlExecutor, id: string): Promise<boolean> {
	return Boolean(await db.get('SELECT id FROM lists WHERE id = ?', [id]));
}

export async function requireList(db: SqlExecutor, id: string): Promise<MailingList> {
	return toList(await requireListRow(db, id, 'l.*'));
}

/** The list's row with `columns` selected (the list is `l`); not-found when there is none. */
export async function requireListRow(db: SqlExecutor, id: string, columns: string): Promise<Row> {
	const row = isRowId(id) ? await db.get(`SELECT ${columns} FROM lists l WHERE l.id = ?`, [id]) : undefined;
	if (!row) throw new StoreError(`There is no list with id '${id}'`, 'not-found');
	return row;
}

export async function renameList(driver: SqlDriver, id: string, name: string, actor: Actor): Promise<MailingList> {
	const newName = String(name ?? '').trim();
	if (!newName) throw new StoreError('The new list name is empty', 'invalid');
	return driver.transaction(async (tx) => {
		const list = await requireList(tx, id);
		const clash = await tx.get('SELECT id FROM lists WHERE name_key = ? AND id <> ?', [newName.toLowerCase(), list.id]);
		if (clash) throw new StoreError(`A list named '${newName}' already exists (id ${String(clash.id)})`, 'conflict');
		const row = await tx.get('UPDATE lists SET name = ?, name_key = ?, updated_at = ? WHERE id = ? RETURNING *', [
			newName,
			newName.toLowerCase(),
			now(),
			list.id,
		]);
		await recordAudit(tx, actor, 'list.rename', 'list', list.id, { from: list.name, to: newName });
		return toList(row as Row);
	});
}

export async function deleteList(
	driver: SqlDriver,
	id: string,
	actor: Actor,
): Promise<{ deleted: boolean; subscribers: number }> {
	return driver.transaction(async (tx) => {
		const list = await requireList(tx, id);
		const removed = await tx.run('DELETE FROM subscribers WHERE list_id = ?', [list.id]);
		await tx.run('DELETE FROM lists WHERE id = ?', [list.id]);
		await recordAudit(tx, actor, 'list.delete', 'list', list.id, {
			name: list.name,
			subscribersRemoved: removed.changes,
		});
		return { deleted: true, subscribers: removed.changes };
	});
}

/** Removes the list row alone (its subscribers are already gone: list erasure). */
export async function removeListRow(db: SqlExecutor, id: string): Promise<void> {
	await db.run('DELETE FROM lists WHERE id = ?', [id]);
}
