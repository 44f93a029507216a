#!/usr/bin/env node
'use strict';
/**
 * Installs the real n8n used by the start script and the end-to-end tests into a cache folder
 * outside node_modules, once, and reuses it afterwards.
 *
 * Why not a dependency: a plain `npm install n8n` fails on this machine (a transitive native
 * build downloads zlib), and n8n is ~2.8 GB. `--ignore-scripts` then rebuilding only sqlite3
 * (n8n's default database driver, an N-API addon) gives a working n8n.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const N8N_VERSION = '2.40.7';
const projectRoot = path.resolve(__dirname, '..');

function runtimeDir() {
	return (
		process.env.BULK_MAIL_N8N_HOME ||
		path.join(os.homedir(), '.cache', 'n8n-nodes-bulk-mail', `n8n-${N8N_VERSION}`)
	);
}

/** The Node 24 that n8n 2.40 needs: the `node` devDependency, else whatever runs us. */
function nodeBinary() {
	const local = path.join(projectRoot, 'node_modules', 'node', 'bin', 'node');
	return fs.existsSync(local) ? local : process.execPath;
}

function envWithNode24(extra = {}) {
	const nodeDir = path.dirname(nodeBinary());
	return { ...process.env, PATH: `${nodeDir}${path.delimiter}${process.env.PATH}`, ...extra };
}

function n8nBin(dir = runtimeDir()) {
	return path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
}

function isInstalled(dir = runtimeDir()) {
	return fs.existsSync(path.join(dir, '.complete')) && fs.existsSync(n8nBin(dir));
}

function log(message) {
	process.stderr.write(`[n8n-runtime] ${message}\n`);
}

/**
 * Takes the install lock folder, which keeps two test processes from installing into the same
 * place at once. The folder names its installer, so a lock left by an install that was stopped
 * (Ctrl-C, a killed CI run) is taken over at once rather than after `staleMs`. Returns false when
 * `done()` says another process finished the install meanwhile.
 */
function acquireInstallLock(lock, { done = () => false, timeoutMs = 25 * 60_000, staleMs = 20 * 60_000, pollSeconds = 2 } = {}) {
	const started = Date.now();
	for (;;) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			return true;
		} catch {
			if (done()) return false;
			const installer = lockHolder(lock);
			const gone = installer !== null && !isRunning(installer);
			if (gone || Date.now() - lockTime(lock) > staleMs) {
				log(`taking over the install lock ${lock}: ${gone ? `its process ${installer} no longer runs` : `untouched for over ${Math.round(staleMs / 60_000)} minutes`}`);
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (Date.now() - started > timeoutMs) throw new Error(`n8n install lock ${lock} is stuck (held by process ${installer ?? 'unknown'})`);
			execFileSync('sleep', [String(pollSeconds)]);
		}
	}
}

/** The pid of the process holding the install lock, or null (not written yet, or an older lock). */
function lockHolder(lock) {
	try {
		const pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
		return Number.isInteger(pid) && pid > 0 ? pid : null;
	} catch {
		return null;
	}
}

function lockTime(lock) {
	try {
		return fs.statSync(lock).mtimeMs;
	} catch {
		return Date.now(); // just released: try again
	}
}

function isRunning(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM'; // alive, someone else's
	}
}

function ensureN8n() {
	const dir = runtimeDir();
	if (isInstalled(dir)) return dir;
	fs.mkdirSync(dir, { recursive: true });
	const lock = path.join(dir, '.installing');
	if (!acquireInstallLock(lock, { done: () => isInstalled(dir) })) return dir;
	try {
		if (isInstalled(dir)) return dir;
		log(`installing n8n@${N8N_VERSION} into ${dir} (first run only, ~3 minutes)`);
		fs.writeFileSync(
			path.join(dir, 'package.json'),
			JSON.stringify(
				{ name: 'bulk-mail-n8n-runtime', private: true, allowScripts: { sqlite3: true } },
				null,
				2,
			),
		);
		const npmOpts = { cwd: dir, stdio: 'inherit', env: envWithNode24() };
		execFileSync(
			'npm',
			['install', `n8n@${N8N_VERSION}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
			npmOpts,
		);
		log('building sqlite3 for n8n (N-API addon)');
		execFileSync('npm', ['rebuild', 'sqlite3', '--foreground-scripts=false', '--loglevel=error'], npmOpts);
		execFileSync(nodeBinary(), ['-e', "require('sqlite3')"], { cwd: path.join(dir, 'node_modules', 'n8n'), stdio: 'inherit' });
		fs.writeFileSync(path.join(dir, '.complete'), new Date().toISOString());
		log('n8n ready');
		return dir;
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

module.exports = { N8N_VERSION, runtimeDir, ensureN8n, acquireInstallLock, n8nBin, nodeBinary, envWithNode24 };

if (require.main === module) {
	ensureN8n();
	process.stdout.write(`${runtimeDir()}\n`);
}
