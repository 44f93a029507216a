/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
	},
	// Real servers (PostgreSQL, SMTP, n8n) make some suites slow; each sets its own timeout.
	testTimeout: 30_000,
	maxWorkers: 2,
};
