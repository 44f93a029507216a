const path = require('node:path');
const { task, src, dest, parallel } = require('gulp');

// tsc compiles the TypeScript; n8n also needs the SVG icons beside the compiled files: each
// node's own icons, and the shared ones in icons/ that credentials point to (file:../icons/…).
function copyFrom(folder) {
	return () =>
		src(path.resolve(folder, '**', '*.{png,svg}'), { encoding: false }).pipe(
			dest(path.resolve('dist', folder)),
		);
}

task('build:icons', parallel(copyFrom('nodes'), copyFrom('credentials'), copyFrom('icons')));
