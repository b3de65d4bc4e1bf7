import { generateToken } from '@keyward/contracts';
import type { CallOptions, Reply } from './platform';

/** A refusal as every service answers it: the status, the stable `code`, problem+json. */
export function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.code }).toEqual({ status, code });
  expect(reply.contentType).toMatch(/^application\/problem\+json/);
}

/** The fields a 400 `validation_failed` names. */
export function problemFields(reply: Reply): string[] {
  return ((reply.body['errors'] as { field: string }[] | undefined) ?? []).map((e) => e.field);
}

/** One route of a private API, with the permission it needs (`<api>:read` or `<api>:write`). */
export interface GuardedRoute {
  readonly method: string;
  readonly path: string;
  readonly permission: 'read' | 'write';
  readonly body?: Record<string, unknown>;
}

type Call = (method: string, path: string, options?: CallOptions) => Promise<Reply>;

/** Every route answers 401 `missing_key` without a key and 401 `unknown_key` to a key no account has. */
export async function expectKeyRequired(call: Call, routes: readonly GuardedRoute[]): Promise<void> {
  for (const r of routes) {
    expectProblem(await call(r.method, r.path, { secret: null, body: r.body }), 401, 'missing_key');
    expectProblem(await call(r.method, r.path, { secret: generateToken('private'), body: r.body }), 401, 'unknown_key');
  }
}

/**
 * Every route answers 403 `permission_denied`, naming the permission, to a key that holds only the
 * other one of `<api>:read` / `<api>:write`, and to a key holding none of this API's.
 */
export async function expectPermissionRequired(
  call: Call,
  routes: readonly GuardedRoute[],
  keys: { readonly api: string; readonly reader: string; readonly writer: string; readonly unrelated: string },
): Promise<void> {
  for (const r of routes) {
    const reply = await call(r.method, r.path, { secret: r.permission === 'read' ? keys.writer : keys.reader, body: r.body });
    expectProblem(reply, 403, 'permission_denied');
    expect(reply.body['detail']).toMatch(`${keys.api}:${r.permission}`);
    expectProblem(await call(r.method, r.path, { secret: keys.unrelated, body: r.body }), 403, 'permission_denied');
  }
}

/** Every route answers 403 `public_key_not_allowed` to a public key: all of them are private. */
export async function expectPrivateOnly(call: Call, routes: readonly GuardedRoute[], publicKey: string): Promise<void> {
  for (const r of routes) {
    expectProblem(await call(r.method, r.path, { secret: publicKey, body: r.body }), 403, 'public_key_not_allowed');
  }
}
