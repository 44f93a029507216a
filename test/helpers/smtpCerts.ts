import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM material for TLS tests, made with the openssl CLI. */
export interface TestCertificates {
	/** The test CA's certificate: trust it to verify `server`. */
	caCert: string;
	/** Signed by the test CA for localhost and 127.0.0.1. */
	server: { key: string; cert: string };
	/** Self-signed for localhost and 127.0.0.1 (no CA vouches for it). */
	selfSigned: { key: string; cert: string };
}

let cached: TestCertificates | null = null;

function openssl(args: string[], cwd: string): void {
	execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A CA, a server certificate it signed and a self-signed one, all for localhost/127.0.0.1 and
 * valid for 2 days; generated once per test process into a temp dir (EC P-256 keys: fast).
 */
export function testCertificates(): TestCertificates {
	if (cached) return cached;
	const dir = mkdtempSync(join(tmpdir(), 'bulk-mail-certs-'));
	try {
		const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
		const san = 'subjectAltName=DNS:localhost,IP:127.0.0.1';
		openssl(
			[
				'req',
				'-x509',
				...ec,
				'-keyout',
				'ca.key',
				'-out',
				'ca.crt',
				'-days',
				'2',
				'-subj',
				'/CN=Bulk Mail Test CA',
				'-addext',
				'basicConstraints=critical,CA:TRUE',
				'-addext',
				'keyUsage=critical,keyCertSign,cRLSign',
			],
			dir,
		);
		openssl(
			['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
			dir,
		);
		writeFileSync(
			join(dir, 'server.ext'),
			`${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
		);
		openssl(
			[
				'x509',
				'-req',
				'-in',
				'server.csr',
				'-CA',
				'ca.crt',
				'-CAkey',
				'ca.key',
				'-CAcreateserial',
				'-out',
				'server.crt',
				'-days',
				'2',
				'-extfile',
				'server.ext',
			],
			dir,
		);
		openssl(
			[
				'req',
				'-x509',
				...ec,
				'-keyout',
				'self.key',
				'-out',
				'self.crt',
				'-days',
				'2',
				'-subj',
				'/CN=localhost',
				'-addext',
				san,
			],
			dir,
		);
		const read = (name: string) => readFileSync(join(dir, name), 'utf8');
		cached = {
			caCert: read('ca.crt'),
			server: { key: read('server.key'), cert: read('server.crt') },
			selfSigned: { key: read('self.key'), cert: read('self.crt') },
		};
		return cached;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
