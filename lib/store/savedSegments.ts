/** The segments table's one writer: saved segments (a name and a validated definition). */
import { parseSegment, SegmentError } from '../segments';
import { recordAudit } from './auditLog';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import { isRowId, now } from './rows';
import { StoreError, type Actor, type SavedSegment } from './types';

const MAX_NAME = 200;

function toSavedSegment(row: Row): SavedSegment {
	return {
		id: String(row.id),
		name: String(row.name),
		definition: JSON.parse(String(row.definition)) as Record<string, unknown>,
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
	};
}

function checkName(raw: unknown, what: string): string {
	const name = String(raw ?? '').trim();
	if (!name) throw new StoreError(`The ${what} is empty`, 'invalid');
	if (name.length > MAX_NAME) throw new StoreError(`The ${what} is longer than ${MAX_NAME} characters`, 'invalid');
	if (name.includes('\0')) throw new StoreError(`The ${what} contains a NUL character`, 'invalid');
	return name;
}

/** The definition as stored: JSON text of a segment that passed validation. */
function checkDefinition(definition: unknown): string {
	const value = typeof definition === 'string' ? parseText(definition) : definition;
	try {
		parseSegment(value);
	} catch (error) {
		if (error instanceof SegmentError) throw new StoreError(`The segment definition is not valid: ${error.message}`, 'invalid');
		throw error;
	}
	return JSON.stringify(value);
}

function parseText(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new StoreError(`The segment definition is not valid JSON (${(error as Error).message})`, 'invalid');
	}
}

export async function createSegment(
	driver: SqlDriver,
	input: { name: string; definition: unknown },
	actor: Actor,
): Promise<SavedSegment> {
	const name = checkName(input.name, 'segment name');
	const definition = checkDefinition(input.definition);
	return driver.transaction(async (tx) => {
		const clash = await tx.get('SELECT id FROM segments WHERE name_key = ?', [name.toLowerCase()]);
		if (clash) throw new StoreError(`A segment named '${name}' already exists (id ${String(clash.id)})`, 'conflict');
		const at = now();
		const row = await tx.get(
			'INSERT INTO segments (name, name_key, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
			[name, name.toLowerCase(), definition, at, at],
		);
		const segment = toSavedSegment(row as Row);
		await recordAudit(tx, actor, 'segment.create', 'segment', segment.id, { name });
		return segment;
	});
}

/** A saved segment by id or (case-insensitive) name; null when there is none. */
export async function getSegment(db: SqlExecutor, idOrName: string): Promise<SavedSegment | null> {
	const key = String(idOrName ?? '').trim();
	if (!key) return null;
	const row = isRowId(key) ? await db.get('SELECT * FROM segments WHERE id = ?', [key]) : undefined;
	const found = row ?? (await db.get('SELECT * FROM segments WHERE name_key = ?', [key.toLowerCase()]));
	return found ? toSavedSegment(found) : null;
}

export async function getSegments(db: SqlExecutor): Promise<SavedSegment[]> {
	return (await db.all('SELECT * FROM segments ORDER BY id')).map(toSavedSegment);
}

async function requireSegment(db: SqlExecutor, id: string): Promise<SavedSegment> {
	const row = isRowId(id) ? await db.get('SELECT * FROM segments WHERE id = ?', [id]) : undefined;
	if (!row) throw new StoreError(`There is no segment with id '${id}'`, 'not-found');
	return toSavedSegment(row);
}

export async function renameSegment(driver: SqlDriver, id: string, name: string, actor: Actor): Promise<SavedSegment> {
	const newName = checkName(name, 'new segment name');
	return driver.transaction(async (tx) => {
		const segment = await requireSegment(tx, id);
		const clash = await tx.get('SELECT id FROM segments WHERE name_key = ? AND id <> ?', [newName.toLowerCase(), segment.id]);
		if (clash) throw new StoreError(`A segment named '${newName}' already exists (id ${String(clash.id)})`, 'conflict');
		const row = await tx.get('UPDATE segments SET name = ?, name_key = ?, updated_at = ? WHERE id = ? RETURNING *', [
			newName,
			newName.toLowerCase(),
			now(),
			segment.id,
		]);
		await recordAudit(tx, actor, 'segment.rename', 'segment', segment.id, { from: segment.name, to: newName });
		return toSavedSegment(row as Row);
	});
}

export async function deleteSegment(driver: SqlDriver, id: string, actor: Actor): Promise<{ deleted: boolean }> {
	return driver.transaction(async (tx) => {
		const segment = await requireSegment(tx, id);
		await tx.run('DELETE FROM segments WHERE id = ?', [segment.id]);
		await recordAudit(tx, actor, 'segment.delete', 'segment', segment.id, { name: segment.name });
		return { deleted: true };
	});
}
