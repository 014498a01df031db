// @ts-check
import tseslint from 'typescript-eslint';
import mochaPlugin from 'eslint-plugin-mocha';

// ─── layering (docs/architecture.md); test/unit/lint-layering.spec.ts proves each rule reports ─────────────────────

const ENV_MESSAGE = 'Read configuration from the validated env (src/config/env.ts), handed in through the context; process.env is read only in src/config and src/embedded.';

// Restricted imports, one set per layering rule.
const MONGOOSE = {
  patterns: [{ group: ['mongoose', 'mongoose/*', 'mongodb', 'mongodb/*'], message: 'mongoose and the MongoDB driver are used only in src/store: call a repository.' }],
};
const REDIS_AND_QUEUES = {
  patterns: [{ group: ['ioredis', 'bullmq'], message: 'Use cases reach Redis and BullMQ through a repository (src/store) or the queues module (src/queues).' }],
};
const PROCESS_ENV = {
  paths: ['process', 'node:process'].map((name) => ({ name, importNames: ['env'], message: ENV_MESSAGE })),
};
const DOMAIN_ONLY = {
  // Pure libraries are allowed: zod (a contract's schema, src/domain/contact.ts, declared beside its type) and the Spanish
  // stemmer and stopwords of the search rules (src/domain/search-text.ts).
  patterns: [
    {
      regex: '^(?!\\./|zod$|@orama/stemmers/spanish$|stopword$)',
      message: 'src/domain is pure: it imports only other domain modules, zod and the Spanish text libraries (no I/O, no other package, no outer layer); pass what it needs in.',
    },
  ],
};

/**
 * One `no-restricted-imports` setting: a later config block replaces the options of an earlier one, so each area
 * lists all it forbids.
 * @param {...{ paths?: object[], patterns?: object[] }} rules
 */
function forbidImports(...rules) {
  return ['error', { paths: rules.flatMap((rule) => rule.paths ?? []), patterns: rules.flatMap((rule) => rule.patterns ?? []) }];
}

const PRODUCTION_CODE = ['src/**/*.ts', 'channels/**/*.ts', 'workers/**/*.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', 'data/', 'dist/'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // mongoose types schema paths as SchemaTypeOptions class instances, but plain objects are its documented API.
    files: ['src/store/*.model.ts'],
    rules: { '@typescript-eslint/no-unsafe-class-instance-assignment': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    plugins: { mocha: mochaPlugin },
    rules: {
      'mocha/no-exclusive-tests': 'error',
      'mocha/no-pending-tests': 'error',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: PRODUCTION_CODE,
    rules: {
      'no-restricted-imports': forbidImports(MONGOOSE, PROCESS_ENV),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': forbidImports(PROCESS_ENV) },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: { 'no-restricted-imports': forbidImports(MONGOOSE, REDIS_AND_QUEUES, PROCESS_ENV) },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': forbidImports(DOMAIN_ONLY, PROCESS_ENV) },
  },
  {
    // The env schema and the embedded services' launcher are where the process environment is read.
    files: ['src/config/**/*.ts', 'src/embedded/**/*.ts'],
    rules: { 'no-restricted-imports': forbidImports(MONGOOSE), 'no-restricted-properties': 'off' },
  },
);
