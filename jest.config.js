// One Jest run for the whole workspace. Unit specs (*.unit.spec.ts) need nothing; integration and
// end-to-end specs (*.int.spec.ts, *.e2e.spec.ts) talk to the real Kafka and FerretDB that
// tools/test/global-setup.mjs starts (or to KAFKA_BROKERS / MONGODB_URI when those are set).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  // Node's, plus whether a test of the file failed (services started by a spec print their output then).
  testEnvironment: '<rootDir>/tools/test/environment.cjs',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
};

module.exports = {
  // Integration specs start processes and wait on Kafka; every wait inside them has its own bound.
  testTimeout: 90_000,
  globalSetup: '<rootDir>/tools/test/global-setup.mjs',
  // Load specs spread through the run, never two at once (tools/test/sequencer.cjs).
  testSequencer: '<rootDir>/tools/test/sequencer.cjs',
  globalTeardown: '<rootDir>/tools/test/global-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int.spec.ts', '**/*.e2e.spec.ts'] },
  ],
};
