/**
 * The n8n runtime's install lock (scripts/n8n-runtime.js): an install stopped half-way (Ctrl-C
 * during the first `npm test`) must not leave the next run waiting twenty minutes for its lock,
 * while a lock whose installer still runs is waited for and left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireInstallLock } from '../../../scripts/n8n-runtime';

describe('the n8n runtime install lock', () => {
	let dir: string;
	let lock: string;
	beforeEach(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-lock-'));
		lock = path.join(dir, '.installing');
	});
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

	const leftBy = (pid: number | null) => {
		fs.mkdirSync(lock);
		if (pid !== null) fs.writeFileSync(path.join(lock, 'pid'), String(pid));
	};
	const holder = () => Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));

	it('takes a free lock and names this process in it', () => {
		expect(acquireInstallLock(lock, { timeoutMs: 0 })).toBe(true);
		expect(holder()).toBe(process.pid);
	});

	it('takes over at once a lock whose installer no longer runs', () => {
		const ended = spawnSync(process.execPath, ['-e', '0']);
		leftBy(ended.pid!);
		const started = Date.now();
		expect(acquireInstallLock(lock, { timeoutMs: 0 })).toBe(true);
		expect(Date.now() - started).toBeLessThan(1_000);
		expect(holder()).toBe(process.pid);
	});

	it('waits for a lock whose installer still runs, and leaves it alone', async () => {
		const installer = spawn('sleep', ['30']);
		try {
			leftBy(installer.pid!);
			expect(() => acquireInstallLock(lock, { timeoutMs: 300, pollSeconds: 0.1 })).toThrow(
				`n8n install lock ${lock} is stuck (held by process ${installer.pid})`,
			);
			expect(holder()).toBe(installer.pid);
		} finally {
			installer.kill();
		}
	});

	it('stops waiting when another process finishes the install meanwhile', () => {
		leftBy(process.pid);
		expect(acquireInstallLock(lock, { done: () => true, timeoutMs: 0 })).toBe(false);
		expect(holder()).toBe(process.pid);
	});

	it('treats a lock without a name (an older version) as live until it is stale', () => {
		leftBy(null);
		expect(() => acquireInstallLock(lock, { timeoutMs: 200, pollSeconds: 0.1 })).toThrow(/is stuck \(held by process unknown\)/);
		expect(acquireInstallLock(lock, { staleMs: 0, timeoutMs: 0 })).toBe(true);
		expect(holder()).toBe(process.pid);
	});
});
