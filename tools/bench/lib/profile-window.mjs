// Profiles a running service over a window of load: the preloaded profiler
// (workers/profiler-preload.ts) is started and stopped over the IPC channel, so the profile
// covers only the load; then the profile is analysed.
import { existsSync, rmSync } from 'node:fs';
import { analyseProfile } from './cpu-profile.mjs';

function ask(child, message, expected, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.off('message', on); reject(new Error(`no ${expected} from ${child.pid}`)); }, timeoutMs);
    const on = (m) => {
      if (m === expected || String(m).startsWith('bench:profile:error')) {
        clearTimeout(timer);
        child.off('message', on);
        if (m === expected) resolve();
        else reject(new Error(String(m)));
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

export async function profileDuring(proc, file, load, inclusive = []) {
  if (!proc || !file || !proc.child.connected) return undefined;
  rmSync(file, { force: true });
  await ask(proc.child, 'bench:profile:start', 'bench:profile:started');
  const result = await load();
  await ask(proc.child, 'bench:profile:stop', 'bench:profile:written');
  return { result, analysis: existsSync(file) ? analyseProfile(file, { inclusive }) : undefined };
}
