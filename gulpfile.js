const path = require('node:path');
const { task, src, dest, parallel } = require('gulp');

// tsc compiles the TypeScript; n8n also needs, beside the compiled files, the SVG icons (each
// node's own, and the shared ones in icons/ that credentials point to as file:../icons/…) and
// each node's codex file (<Node>.node.json: categories and documentation links).
function copyFrom(folder, pattern) {
	return () =>
		src(path.resolve(folder, '**', pattern), { encoding: false }).pipe(dest(path.resolve('dist', folder)));
}

task(
	'build:icons',
	parallel(
		copyFrom('nodes', '*.{png,svg}'),
		copyFrom('nodes', '*.node.json'),
		copyFrom('credentials', '*.{png,svg}'),
		copyFrom('icons', '*.{png,svg}'),
	),
);
