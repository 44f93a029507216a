/** Types for package-install.js (build, pack and install the package as n8n's installer does). */
export interface InstalledPackage {
	name: string;
	version: string;
	packageDir: string;
}
export interface PreparedInstall extends InstalledPackage {
	/** Hash of what `npm pack` ships (package.json, README, index.js, dist/). */
	key: string;
	tarball: string;
	/** A `.n8n/nodes` folder with the package installed; copy it into a user folder's `.n8n/`. */
	nodesDir: string;
}
export const projectRoot: string;
export function buildPackage(options?: { quiet?: boolean }): void;
export function isDistStale(): boolean;
export function ensureFreshBuild(): void;
export function packageContentHash(): string;
export function packPackage(destDir: string): string;
export function installPackedPackage(userFolder: string, tarball: string): InstalledPackage;
export function preparedInstall(): PreparedInstall;
export function withLock<T>(lockDir: string, fn: () => T, options?: { staleAfterMs?: number; timeoutMs?: number }): T;
