import type { Permission } from '@keyward/contracts';
import { knownPermissions } from '@keyward/contracts';
import type { IpAllowList } from '@keyward/ip-match';
import { compileAllowList } from '@keyward/ip-match';
import type { AuthGranted } from '../authorize/auth-outcome';
import type { KeyView } from './key-view';

/**
 * A key view with everything a request needs precomputed when the view changes, so the hot path
 * only reads: the permission set, the compiled IP list, the times as epoch milliseconds, and the
 * very success outcome `authorize` returns.
 */
export interface IndexedKey {
  readonly view: KeyView;
  readonly permissions: ReadonlySet<Permission>;
  readonly allowList: IpAllowList;
  /** NaN for an unreadable date, which every `now < expiresAtMs` test treats as expired. */
  readonly expiresAtMs: number;
  /** -Infinity when there is no previous secret. */
  readonly graceUntilMs: number;
  readonly granted: AuthGranted;
}

/** Builds the entry for `view`, reusing from `previous` whatever the change did not touch. */
export function indexKey(view: KeyView, previous?: IndexedKey): IndexedKey {
  const samePermissions = previous !== undefined && previous.view.permissions === view.permissions;
  const permissions: ReadonlySet<Permission> =
    // A view persisted before a permission was retired may still name it; it grants nothing.
    samePermissions ? previous.permissions : new Set(knownPermissions(view.permissions));
  const allowList =
    previous !== undefined && previous.view.allowedIps === view.allowedIps
      ? previous.allowList
      : compileAllowList(view.allowedIps);
  const granted =
    samePermissions &&
    previous.view.id === view.id &&
    previous.view.accountId === view.accountId &&
    previous.view.kind === view.kind
      ? previous.granted
      : Object.freeze({
          ok: true as const,
          key: Object.freeze({ keyId: view.id, accountId: view.accountId, kind: view.kind, permissions }),
        });
  return {
    view,
    permissions,
    allowList,
    expiresAtMs: Date.parse(view.expiresAt),
    graceUntilMs: view.graceUntil === undefined ? Number.NEGATIVE_INFINITY : Date.parse(view.graceUntil),
    granted,
  };
}
