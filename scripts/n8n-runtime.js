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

function ensureN8n() {
	const dir = runtimeDir();
	if (isInstalled(dir)) return dir;
	fs.mkdirSync(dir, { recursive: true });
	// A lock folder keeps two test processes from installing into the same place at once.
	const lock = path.join(dir, '.installing');
	const started = Date.now();
	for (;;) {
		try {
			fs.mkdirSync(lock);
			break;
		} catch {
			if (isInstalled(dir)) return dir;
			const age = Date.now() - fs.statSync(lock).mtimeMs;
			if (age > 20 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
			if (Date.now() - started > 25 * 60_000) throw new Error(`n8n install lock ${lock} is stuck`);
			execFileSync('sleep', ['2']);
		}
	}
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

module.exports = { N8N_VERSION, runtimeDir, ensureN8n, n8nBin, nodeBinary, envWithNode24 };

if (require.main === module) {
	ensureN8n();
	process.stdout.write(`${runtimeDir()}\n`);
}
