// Flat config. eslint-plugin-n8n-nodes-base only ships legacy (eslintrc) presets, so their `rules`
// objects are spread into flat-config blocks, the way @n8n/node-cli's own config does it.
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tsPlugin from '@typescript-eslint/eslint-plugin';
import tsParser from '@typescript-eslint/parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const communityPreset = n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport;

// A light, TypeScript-safe set of rules for every .ts file (tsc already covers undefined names,
// unreachable code and unused locals). No type-aware rules: they would need a full program per run.
const coreRules = {
	'@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
	'@typescript-eslint/no-duplicate-enum-values': 'error',
	'@typescript-eslint/no-misused-new': 'error',
	'@typescript-eslint/no-non-null-asserted-optional-chain': 'error',
	'@typescript-eslint/no-require-imports': 'error',
	'@typescript-eslint/no-unsafe-declaration-merging': 'error',
	'@typescript-eslint/prefer-as-const': 'error',
	'no-debugger': 'error',
	'no-dupe-else-if': 'error',
	'no-duplicate-case': 'error',
	'no-empty': ['error', { allowEmptyCatch: true }],
	'no-fallthrough': 'error',
	'no-self-assign': 'error',
	'no-self-compare': 'error',
	'no-sparse-arrays': 'error',
	'no-unsafe-finally': 'error',
	'no-unused-labels': 'error',
	'no-useless-catch': 'error',
	'no-var': 'error',
	'prefer-const': 'error',
	eqeqeq: ['error', 'always', { null: 'ignore' }],
};

// Each engine area (lib/<area>) is used through its index only: another area, or a node, imports
// `lib/<area>`, never one of its files. Inside an area, relative imports of its own files are fine.
const AREA_FILE_MESSAGE = 'Import another area through its index (lib/<area>), not one of its files.';
const engineImports = {
	'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+[^./][^/]*/.+', message: AREA_FILE_MESSAGE }] }],
};
const nodeImports = {
	'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)lib/[^/]+/.+', message: AREA_FILE_MESSAGE }] }],
};

const typescript = {
	parser: tsParser,
	parserOptions: { sourceType: 'module', ecmaVersion: 'latest' },
};
const tsPlugins = { '@typescript-eslint': tsPlugin };

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.n8n-home/**', '.tmp/**'] },

	// The engine: plain TypeScript, no n8n rules.
	{
		files: ['lib/**/*.ts'],
		languageOptions: typescript,
		plugins: tsPlugins,
		rules: { ...coreRules, ...engineImports },
	},

	// Nodes and credentials: n8n's community-package rules in the self-hosted preset.
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		languageOptions: typescript,
		plugins: { ...tsPlugins, ...communityPreset.plugins, 'n8n-nodes-base': n8nNodesBase },
		rules: { ...coreRules, ...communityPreset.rules, ...nodeImports },
	},
	{
		files: ['credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// documentationUrl may be a full URL for community credentials, which this rule misreads.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			// @n8n/community-nodes/credential-password-field checks the same thing more accurately.
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// inputs/outputs use the NodeConnectionTypes enum, which @n8n/community-nodes requires.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},

	// package.json: the TypeScript parser reads .json as one object expression, which both plugins expect.
	{
		files: ['package.json'],
		languageOptions: {
			parser: tsParser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
		plugins: { ...communityPreset.plugins, 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.community.rules,
			...communityPreset.rules,
			// An SMTP and SQL package cannot run on n8n Cloud: nodemailer, pg and csv-parse are runtime dependencies.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
