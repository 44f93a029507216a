#!/usr/bin/env node
'use strict';
/**
 * Runs a TypeScript benchmark on the project's Node 24 (through tsx), after making sure
 * PostgreSQL and Redis answer:  node scripts/run-bench.js bench/store.bench.ts [args…]
 * `--no-services` first skips that for benches that need no database (bench:bounces).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureDatabases } = require('./services');
const { nodeBinary } = require('./n8n-runtime');

const projectRoot = path.resolve(__dirname, '..');
const noServices = process.argv[2] === '--no-services';
const [file, ...args] = process.argv.slice(noServices ? 3 : 2);

async function main() {
	if (!file || !fs.existsSync(path.resolve(projectRoot, file))) {
		throw new Error(`usage: node scripts/run-bench.js <bench/file.ts> [args…] (got ${file ?? 'nothing'})`);
	}
	if (!noServices) await ensureDatabases();
	const result = spawnSync(nodeBinary(), ['--import', 'tsx', file, ...args], { cwd: projectRoot, stdio: 'inherit' });
	if (result.error) throw result.error;
	process.exit(result.status ?? 1);
}

main().catch((error) => {
	process.stderr.write(`[bench] FAILED: ${error.message}\n`);
	process.exit(1);
});
