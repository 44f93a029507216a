#!/usr/bin/env node
'use strict';
/**
 * Store operations from the shell (cron, an operator), on the project's Node 24:
 *   node scripts/backup.js backup  --file newsletter.sqlite [--dir <store folder>] [--keep 7]
 *   node scripts/backup.js list    --file newsletter.sqlite
 *   node scripts/backup.js verify  <backup file>
 *   node scripts/backup.js restore --file newsletter.sqlite --from <backup>   (n8n stopped)
 *   node scripts/backup.js export  --file newsletter.sqlite --out <folder>
 * Runs lib/ops/cli.ts through tsx in a checkout; an installed package has the same commands as
 * `node dist/lib/ops/cli.js …`.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { nodeBinary } = require('./n8n-runtime');

const projectRoot = path.resolve(__dirname, '..');
const source = path.join(projectRoot, 'lib', 'ops', 'cli.ts');
const built = path.join(projectRoot, 'dist', 'lib', 'ops', 'cli.js');

let tsx = true;
try {
	require.resolve('tsx', { paths: [projectRoot] });
} catch {
	tsx = false;
}
const args = tsx ? ['--import', 'tsx', source] : [built];
if (!tsx && !fs.existsSync(built)) {
	process.stderr.write('Neither tsx nor a build (dist/lib/ops/cli.js) is here: run npm install or npm run build first\n');
	process.exit(1);
}
const result = spawnSync(nodeBinary(), [...args, ...process.argv.slice(2)], { cwd: process.cwd(), stdio: 'inherit' });
if (result.error) {
	process.stderr.write(`${result.error.message}\n`);
	process.exit(1);
}
process.exit(result.status ?? 1);
