// Preloaded (node -r) into a service the bench wants to profile, without touching the service's
// code. Controlled over the IPC channel the bench opens (not by a signal: Nest's shutdown hooks
// listen to SIGUSR2 and most others): 'bench:profile:start' starts a V8 CPU profile,
// 'bench:profile:stop' writes it to $BENCH_PROFILE_FILE and answers 'bench:profile:written',
// so the profile covers only the load window the bench chose.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env['BENCH_PROFILE_FILE'];

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

function reply(message: string): void {
  process.send?.(message);
}

if (file && process.send) {
  const session = new Session();
  session.connect();
  process.on('message', (message: unknown) => {
    if (message === 'bench:profile:start') {
      post(session, 'Profiler.enable')
        .then(() => post(session, 'Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => post(session, 'Profiler.start'))
        .then(() => reply('bench:profile:started'), (e: unknown) => reply(`bench:profile:error ${String(e)}`));
    } else if (message === 'bench:profile:stop') {
      post<{ profile: object }>(session, 'Profiler.stop')
        .then(({ profile }) => writeFileSync(file, JSON.stringify(profile)))
        .then(() => reply('bench:profile:written'), (e: unknown) => reply(`bench:profile:error ${String(e)}`));
    }
  });
  // The channel must not keep the service alive when it is told to stop.
  process.channel?.unref();
}
