import http from 'node:http';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Listens on every host of HOST (comma-separated: `127.0.0.1,::1`; `::` alone is dual-stack on
 * most systems), all on one port, so IPv6 clients (and their allow-lists) work as IPv4 ones do.
 * The first host is the application's own server; each further one is a server on the same
 * request handler, set up by `prepare` as the first is, and closed with it.
 */
export async function listenOnHosts(app: NestExpressApplication, hosts: string, port: number, prepare: (server: Server) => void): Promise<void> {
  const list = hosts.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
  const [first = '127.0.0.1', ...more] = list;
  await app.listen(port, first);
  const main = app.getHttpServer() as Server;
  const address = main.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  for (const host of more) {
    const extra = http.createServer(app.getHttpAdapter().getInstance() as http.RequestListener);
    prepare(extra);
    await new Promise<void>((resolve, reject) => {
      extra.once('error', reject);
      extra.listen(actualPort, host, () => resolve());
    });
    main.once('close', () => extra.close());
  }
}

/** How a listening app is reached on each host: `http://127.0.0.1:3000`, `http://[::1]:3000`. */
export function hostUrls(hosts: string, port: number): string[] {
  return hosts.split(',').map((h) => h.trim()).filter((h) => h.length > 0).map((h) => `http://${h.includes(':') ? `[${h}]` : h}:${port}`);
}
