#!/usr/bin/env node
'use strict';
/**
 * `npm test`: build, lint, make sure the services are up (PostgreSQL, Redis, smtp-sink,
 * chromium, the cached n8n 2.40.7), then run every jest suite under test/.
 * Extra arguments go to jest: `npm test -- test/n8n`.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
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
	const extra = process.argv.slice(2);
	const reports = path.join(projectRoot, '.tmp', 'jest');
	fs.mkdirSync(reports, { recursive: true });
	// Rate-limit tests measure wall-clock rates: they run last, one file at a time, so a real n8n
	// booting in another jest worker cannot starve them of CPU.
	const phases = [
		{ name: 'jest', args: ['--testPathIgnorePatterns', '\\.timing\\.test\\.ts$'] },
		{ name: 'jest (timing, in band)', args: ['--runInBand', '--testPathPatterns', '\\.timing\\.test\\.ts$'] },
	];
	const totals = { passed: 0, failed: 0, skipped: 0 };
	const failedPhases = [];
	for (const phase of phases) {
		const outputFile = path.join(reports, `${phase.name.replace(/\W+/g, '-')}.json`);
		fs.rmSync(outputFile, { force: true });
		process.stderr.write(`\n▶ ${phase.name}\n`);
		const result = spawnSync(
			process.execPath,
			[jest, ...phase.args, '--passWithNoTests', '--json', `--outputFile=${outputFile}`, ...extra],
			{ cwd: projectRoot, stdio: 'inherit' },
		);
		if (fs.existsSync(outputFile)) {
			const report = JSON.parse(fs.readFileSync(outputFile, 'utf8'));
			totals.passed += report.numPassedTests;
			totals.failed += report.numFailedTests;
			totals.skipped += report.numPendingTests + report.numTodoTests;
			if (report.numFailedTestSuites > 0) failedPhases.push(phase.name);
		}
		if (result.status !== 0 && !failedPhases.includes(phase.name)) failedPhases.push(phase.name);
	}
	process.stderr.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
	if (failedPhases.length) fail(failedPhases.join(', '), `${totals.failed} failed`);
	if (totals.passed === 0) fail('jest', 'no test ran');
	process.stderr.write(`\nnpm test: build, lint and all tests passed in ${seconds()}\n`);
	process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
}

main().catch((error) => fail('npm test', error.stack || error.message));
