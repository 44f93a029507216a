/** Types for n8n-runtime.js (the cached n8n 2.40.7 the start script and the real-n8n tests use). */
export const N8N_VERSION: string;
export function runtimeDir(): string;
export function ensureN8n(): string;
export function acquireInstallLock(
	lock: string,
	options?: { done?: () => boolean; timeoutMs?: number; staleMs?: number; pollSeconds?: number },
): boolean;
export function n8nBin(dir?: string): string;
export function nodeBinary(): string;
export function envWithNode24(extra?: Record<string, string>): NodeJS.ProcessEnv;
