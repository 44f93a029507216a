#!/usr/bin/env node
'use strict';
/**
 * `npm test`: build, lint, make sure the services are up (PostgreSQL, Redis, smtp-sink,
 * chromium, the cached n8n 2.40.7), then run every jest suite under test/.
 * Extra arguments go to jest: `npm test -- test/n8n`. Given paths, each phase runs only its own
 * kind of test among them (the timing phase: `.timing.test.ts` files at or below them).
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

const TIMING = /\.timing\.test\.ts$/;

/** The timing test files at or below `target` (a file or a folder). */
function timingFilesAt(target) {
	if (!fs.statSync(target).isDirectory()) return TIMING.test(target) ? [target] : [];
	return fs.readdirSync(target, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory() || TIMING.test(entry.name) ? timingFilesAt(path.join(target, entry.name)) : [],
	);
}

/**
 * The timing phase's jest arguments. Given paths (`npm test -- test/store`), it runs only the
 * timing tests among or below them, and not at all when there are none: jest would OR its own
 * pattern with the paths and run every timing test whatever was asked.
 */
function timingArgs(extra) {
	const paths = extra.filter((arg) => !arg.startsWith('-') && fs.existsSync(path.resolve(projectRoot, arg)));
	if (!paths.length) return ['--runInBand', '--passWithNoTests', '--testPathPatterns', TIMING.source, ...extra];
	const files = paths.flatMap((arg) => timingFilesAt(path.resolve(projectRoot, arg)));
	if (!files.length) return null;
	return ['--runInBand', '--passWithNoTests', ...extra.filter((arg) => !paths.includes(arg)), '--runTestsByPath', ...files];
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
	// `args` end with jest's own flags; the paths and extra flags go last, so an array flag such
	// as --testPathIgnorePatterns cannot take a path as one more of its values
	const phases = [
		{ name: 'jest', args: ['--testPathIgnorePatterns', TIMING.source, '--passWithNoTests', ...extra] },
		{ name: 'jest (timing, in band)', args: timingArgs(extra) },
	].filter((phase) => phase.args !== null);
	const totals = { passed: 0, failed: 0, skipped: 0 };
	const failedPhases = [];
	for (const phase of phases) {
		const outputFile = path.join(reports, `${phase.name.replace(/\W+/g, '-')}.json`);
		fs.rmSync(outputFile, { force: true });
		process.stderr.write(`\n▶ ${phase.name}\n`);
		const result = spawnSync(
			process.execPath,
			[jest, '--json', `--outputFile=${outputFile}`, ...phase.args],
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
