'use strict';
/**
 * Builds, packs and installs this package into an n8n user folder exactly the way n8n's
 * community-packages service installs a package from the registry (n8n 2.40.7,
 * modules/community-packages/community-packages.service.js `downloadPackage`):
 *
 *   extract the tarball into <userFolder>/.n8n/nodes/node_modules/<name>, drop devDependencies,
 *   peerDependencies and optionalDependencies from that copy's package.json, run
 *   `npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow
 *   --ignore-scripts=true --package-lock=false` inside it, and record it in
 *   <userFolder>/.n8n/nodes/package.json.
 *
 * Used by scripts/start.js and by the real-n8n test harness (test/n8n/harness.ts).
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { envWithNode24 } = require('./n8n-runtime');

const projectRoot = path.resolve(__dirname, '..');
const SOURCE_DIRS = ['nodes', 'credentials', 'lib'];
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'gulpfile.js', 'index.js'];

function log(message) {
	process.stderr.write(`[package] ${message}\n`);
}

function run(command, args, { cwd = projectRoot, quiet = false } = {}) {
	try {
		return execFileSync(command, args, {
			cwd,
			env: envWithNode24(),
			encoding: 'utf8',
			stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'inherit'],
			maxBuffer: 64 * 1024 * 1024,
		});
	} catch (error) {
		const output = [error.stdout, error.stderr].filter(Boolean).join('\n').trim();
		throw new Error(
			`\`${command} ${args.join(' ')}\` failed in ${cwd} (exit ${error.status ?? error.signal})` +
				(output ? `:\n${output.slice(-4000)}` : ''),
		);
	}
}

function walkFiles(dir, visit) {
	if (!fs.existsSync(dir)) return;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) walkFiles(full, visit);
		else if (entry.isFile()) visit(full);
	}
}

/** True when dist/ is missing or older than any source file that goes into it. */
function isDistStale() {
	let oldestBuilt = Infinity;
	walkFiles(path.join(projectRoot, 'dist'), (file) => {
		// Icons keep their source mtime when gulp copies them; only compiled files tell build time.
		if (file.endsWith('.js')) oldestBuilt = Math.min(oldestBuilt, fs.statSync(file).mtimeMs);
	});
	if (oldestBuilt === Infinity) return true;
	let newestSource = 0;
	const consider = (file) => {
		newestSource = Math.max(newestSource, fs.statSync(file).mtimeMs);
	};
	for (const dir of SOURCE_DIRS) walkFiles(path.join(projectRoot, dir), consider);
	for (const file of SOURCE_FILES) {
		const full = path.join(projectRoot, file);
		if (fs.existsSync(full)) consider(full);
	}
	return newestSource > oldestBuilt;
}

function buildPackage({ quiet = false } = {}) {
	log('building (npm run build)');
	run('npm', ['run', 'build', '--silent'], { quiet });
}

/** A short hash of what `npm pack` would ship: package.json, index.js and dist/. */
function packageContentHash() {
	const hash = crypto.createHash('sha256');
	const files = [];
	for (const file of ['package.json', 'index.js', 'README.md']) {
		const full = path.join(projectRoot, file);
		if (fs.existsSync(full)) files.push(full);
	}
	walkFiles(path.join(projectRoot, 'dist'), (file) => files.push(file));
	for (const file of files.sort()) {
		hash.update(path.relative(projectRoot, file));
		hash.update(fs.readFileSync(file));
	}
	return hash.digest('hex').slice(0, 16);
}

/** `npm pack` into destDir; returns the tarball's absolute path. */
function packPackage(destDir) {
	fs.mkdirSync(destDir, { recursive: true });
	const output = run('npm', ['pack', '--json', '--pack-destination', destDir, '--loglevel=error'], {
		quiet: true,
	});
	const [packed] = JSON.parse(output.slice(output.indexOf('[')));
	return path.join(destDir, packed.filename);
}

function readJson(file) {
	return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Installs a packed tarball into <userFolder>/.n8n/nodes the way n8n's community-packages
 * service does. Returns the installed package's name, version and folder.
 */
function installPackedPackage(userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const manifest = JSON.parse(
		run('tar', ['-xzf', tarball, '-O', 'package/package.json'], { quiet: true }),
	);
	const packageDir = path.join(nodesDir, 'node_modules', manifest.name);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], { quiet: true });

	const packageJsonPath = path.join(packageDir, 'package.json');
	// eslint-disable-next-line no-unused-vars
	const { devDependencies, peerDependencies, optionalDependencies, ...kept } = readJson(packageJsonPath);
	fs.writeFileSync(packageJsonPath, JSON.stringify(kept, null, 2), 'utf8');
	run(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: packageDir, quiet: true },
	);

	const nodesPackageJson = path.join(nodesDir, 'package.json');
	const installed = fs.existsSync(nodesPackageJson)
		? readJson(nodesPackageJson)
		: { name: 'installed-nodes', private: true, dependencies: {} };
	installed.dependencies = { ...installed.dependencies, [manifest.name]: manifest.version };
	fs.writeFileSync(nodesPackageJson, JSON.stringify(installed, null, 2), 'utf8');
	return { name: manifest.name, version: manifest.version, packageDir };
}

function sleepSync(ms) {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs fn while holding a lock folder, so parallel jest workers do not build or install at once. */
function withLock(lockDir, fn, { staleAfterMs = 15 * 60_000, timeoutMs = 20 * 60_000 } = {}) {
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	const started = Date.now();
	for (;;) {
		try {
			fs.mkdirSync(lockDir);
			break;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			let age = 0;
			try {
				age = Date.now() - fs.statSync(lockDir).mtimeMs;
			} catch {
				continue;
			}
			if (age > staleAfterMs) fs.rmSync(lockDir, { recursive: true, force: true });
			if (Date.now() - started > timeoutMs) throw new Error(`lock ${lockDir} has been held too long`);
			sleepSync(250);
		}
	}
	try {
		return fn();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}

const cacheRoot = path.join(projectRoot, '.tmp', 'n8n-package');

/** Builds dist/ if any source is newer than it (under a lock shared by all jest workers). */
function ensureFreshBuild() {
	if (!isDistStale()) return;
	withLock(path.join(projectRoot, '.tmp', 'build.lock'), () => {
		if (isDistStale()) buildPackage({ quiet: true });
	});
}

/**
 * Packs and installs the package once per distinct content of dist/ + package.json, into a
 * cached user folder, and returns the tarball and the installed `.n8n/nodes` folder to copy.
 */
function preparedInstall() {
	ensureFreshBuild();
	const key = packageContentHash();
	const dir = path.join(cacheRoot, key);
	const nodesDir = path.join(dir, '.n8n', 'nodes');
	const done = path.join(dir, '.complete');
	const read = () => ({ key, ...readJson(done), nodesDir });
	if (fs.existsSync(done)) return read();
	return withLock(path.join(cacheRoot, `${key}.lock`), () => {
		if (fs.existsSync(done)) return read();
		fs.rmSync(dir, { recursive: true, force: true });
		const started = Date.now();
		const tarball = packPackage(dir);
		const installed = installPackedPackage(dir, tarball);
		fs.writeFileSync(done, JSON.stringify({ tarball, ...installed }, null, 2));
		log(`packed and installed ${installed.name}@${installed.version} in ${Date.now() - started} ms`);
		pruneOldInstalls(key);
		return read();
	});
}

function pruneOldInstalls(keep) {
	if (!fs.existsSync(cacheRoot)) return;
	const hourAgo = Date.now() - 60 * 60_000;
	for (const entry of fs.readdirSync(cacheRoot, { withFileTypes: true })) {
		if (!entry.isDirectory() || entry.name === keep || entry.name.endsWith('.lock')) continue;
		const full = path.join(cacheRoot, entry.name);
		if (fs.statSync(full).mtimeMs < hourAgo) fs.rmSync(full, { recursive: true, force: true });
	}
}

module.exports = {
	projectRoot,
	buildPackage,
	isDistStale,
	ensureFreshBuild,
	packageContentHash,
	packPackage,
	installPackedPackage,
	preparedInstall,
	withLock,
};
