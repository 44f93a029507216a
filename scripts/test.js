#!/usr/bin/env node
'use strict';
/**
 * `npm test`: build, lint, make sure the services are up (PostgreSQL, Redis, smtp-sink,
 * chromium, the cached n8n 2.40.7), then run every jest suite under test/.
 * Extra arguments go to jest: `npm test -- test/n8n`.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { ensureServices } = require('./services');

const projectRoot = path.resolve(__dirname, '..');
const started = Date.now();

function seconds() {
	return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

function fail(step, detail) {
	process.stderr.write(`\nnpm test: FAILED at ${step}${detail ? ` — ${detail}` : ''} (after ${seconds()})\n`);
	process.exit(1);
}

function step(name, command, args) {
	process.stderr.write(`\n▶ ${name}\n`);
	const result = spawnSync(command, args, { cwd: projectRoot, stdio: 'inherit' });
	if (result.error) fail(name, result.error.message);
	if (result.status !== 0) fail(name, `exit ${result.status ?? result.signal}`);
}

async function main() {
	step('build', 'npm', ['run', 'build']);
	step('lint', 'npm', ['run', 'lint']);

	process.stderr.write('\n▶ services\n');
	try {
		await ensureServices();
	} catch (error) {
		fail('services', error.message);
	}

	// process.execPath is the Node 24 from node_modules/.bin (npm scripts put it first on PATH).
	const jest = require.resolve('jest/bin/jest', { paths: [projectRoot] });
	step('jest', process.execPath, [jest, ...process.argv.slice(2)]);
	process.stderr.write(`\nnpm test: build, lint and all tests passed in ${seconds()}\n`);
}

main().catch((error) => fail('npm test', error.stack || error.message));
