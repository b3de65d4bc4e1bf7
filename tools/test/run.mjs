#!/usr/bin/env node
// `npm test`: install dependencies if needed, then typecheck, lint, and run every Jest spec
// (unit, integration, end to end) against a real Kafka and FerretDB. Extra arguments go to Jest.
import { spawnSync } from 'node:child_process';
import { ensureDependencies } from '../lib/dependencies.mjs';

ensureDependencies();

function step(title, cmd, args) {
  console.log(`\n[test] ${title}: ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
  if (res.status !== 0) {
    console.error(`[test] ${title} failed`);
    process.exit(res.status ?? 1);
  }
}

const jestArgs = process.argv.slice(2);
if (jestArgs.length === 0) {
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  // The module-boundaries lint rule reads Nx's project graph; without one it skips itself.
  step('project graph', 'npx', ['nx', 'show', 'projects']);
  step('lint', 'npx', ['eslint', '--max-warnings', '0', 'apps', 'libs', 'tools']);
}
step('jest', 'npx', ['jest', '--maxWorkers=2', ...jestArgs]);
