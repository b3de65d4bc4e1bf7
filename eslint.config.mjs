import { builtinModules } from 'node:module';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Layer rules (docs/layers.md; proven by tools/lint/layer-rules.unit.spec.ts on fixtures).
const TESTING_ONLY_IN_SPECS = { name: '@keyward/testing', message: 'libs/testing is for specs only' };
/** Domain code (apps/<app>/src/domain) is pure: no framework, database, broker, Node or infrastructure lib. */
const PURE_DOMAIN = {
  group: [
    '@nestjs/*', 'mongoose', 'mongoose/*', 'mongodb', 'kafkajs', 'kafkajs/*', 'express', 'undici', 'rxjs', 'rxjs/*',
    'class-validator', 'class-transformer', 'prom-client', 'pino', 'pino-*', 'nestjs-pino', 'nestjs-pino/*', 'reflect-metadata',
    'node:*', ...builtinModules, ...builtinModules.map((m) => `${m}/*`),
    '@keyward/*', '!@keyward/contracts', '!@keyward/ip-match',
  ],
  message: 'domain code is pure: only @keyward/contracts, @keyward/ip-match and the domain folder itself (docs/layers.md)',
};
/** One use case per folder (commands/<a>, queries/<b>): what two share lives in domain/, application/ or http/. */
const OWN_USE_CASE = [
  { regex: '^\\.\\./(?!\\.\\./)[^/]+(/|$)', message: 'a use-case folder does not import another use case; move what they share to domain/, application/ or http/ (docs/layers.md)' },
  { regex: '^(\\.\\./)+(commands|queries)/', message: 'a use-case folder does not import another use case; move what they share to domain/, application/ or http/ (docs/layers.md)' },
];
const USE_CASE_FILES = ['apps/*/src/commands/*/**/*.ts', 'apps/*/src/queries/*/**/*.ts'];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'tools/**/*.mjs', '**/*.js'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Layer fences: apps import only their own scope and shared libs; contracts import nothing
      // but contracts. Any project's specs may use the testing lib; its non-spec code may not
      // (no-restricted-imports below), which tags alone cannot express.
      '@nx/enforce-module-boundaries': ['error', {
        enforceBuildableLibDependency: false,
        banTransitiveDependencies: false,
        allow: [],
        depConstraints: [
          // One way, bottom to top: contracts <- util <- runtime <- read-model <- data-access <- feature <- api <- app.
          // The testing lib is allowed everywhere for specs (no-restricted-imports keeps it out of the rest).
          { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:read-model', 'type:data-access', 'type:feature', 'type:api', 'type:testing'] },
          { sourceTag: 'type:api', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:read-model', 'type:data-access', 'type:feature', 'type:testing'] },
          { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:read-model', 'type:data-access', 'type:testing'] },
          { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:read-model', 'type:testing'] },
          { sourceTag: 'type:read-model', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:testing'] },
          { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime', 'type:testing'] },
          { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:testing'] },
          { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
          { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:runtime'] },
          { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ...['edge', 'keys', 'sessions', 'tickets', 'technicians', 'devices'].map((s) => ({
            sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'],
          })),
        ],
      }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Specs may use non-null assertions on what they just asserted exists, and the testing lib.
    files: ['**/*.spec.ts', '**/*.spec-helper.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
  },
  {
    // Only specs may import the testing lib.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helper.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [TESTING_ONLY_IN_SPECS] }],
    },
  },
  // Later blocks replace the rule's options for their files, so each repeats what still applies.
  {
    files: ['apps/*/src/domain/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helper.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [TESTING_ONLY_IN_SPECS], patterns: [PURE_DOMAIN] }],
    },
  },
  {
    files: USE_CASE_FILES,
    ignores: ['**/*.spec.ts', '**/*.spec-helper.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [TESTING_ONLY_IN_SPECS], patterns: OWN_USE_CASE }],
    },
  },
  {
    files: USE_CASE_FILES.map((g) => g.replace(/\.ts$/, '.spec.ts')),
    rules: {
      'no-restricted-imports': ['error', { patterns: OWN_USE_CASE }],
    },
  },
];
