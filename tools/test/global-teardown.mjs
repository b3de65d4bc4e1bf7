import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const infra = globalThis.__keywardInfra;
  if (!infra) return;
  await infra.stop();
  rmSync(process.env.KEYWARD_TEST_DATA_DIR, { recursive: true, force: true });
}
