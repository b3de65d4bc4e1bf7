import type { Actor, KeyKind, KeyRateLimit, KeyStatus, OriginAllowList, Permission } from '@keyward/contracts';
import { ALL_PERMISSIONS, compileOriginList, digestOfTokenHash, effectiveRateLimit, tokenHashOfDigest } from '@keyward/contracts';
import type { IpAllowList } from '@keyward/ip-match';
import { compileAllowList } from '@keyward/ip-match';
import type { AuthGranted } from '../authorize/auth-outcome';
import { isCanonicalIsoTime } from './canonical-time';
import type { RateBucket } from '../authorize/key-rate-limiter';
import type { UsageBucket } from '../usage/usage-recorder';
import type { KeySlots } from './key-slots';
import type { KeyView } from './key-view';

/**
 * One bit per catalog permission. A name outside the catalog (a permission retired since the event
 * was written) has no bit, so it grants nothing.
 */
export const PERMISSION_BITS: ReadonlyMap<string, number> = new Map(ALL_PERMISSIONS.map((p, i) => [p, 1 << i]));
if (ALL_PERMISSIONS.length > 30) throw new Error('the permission bit set holds 30 permissions (a small integer); widen it');

/** A key's rate limit as the hot path reads it (the limiter scales it to this edge's share). */
export interface CompiledRateLimit {
  readonly requests: number;
  readonly windowSeconds: number;
  readonly burst: number;
  /** Tokens refilled per millisecond: requests / window. */
  readonly perMs: number;
}

/**
 * What many keys have in common, held once and shared: the account, kind and creator, the
 * permissions (as listed, as a bit set and as a Set), the allowed IPs and origins (as listed and
 * compiled) and the rate limit: a million keys add no bytes each for origins and limits.
 */
export interface KeyProfile {
  readonly accountId: string;
  readonly kind: KeyKind;
  readonly createdBy: Actor;
  readonly permissionList: readonly Permission[];
  readonly permissionBits: number;
  /** The catalog permissions of `permissionList`, in its order. */
  readonly permissions: ReadonlySet<Permission>;
  readonly allowedIps: readonly string[];
  readonly allowList: IpAllowList;
  /** As the view has it (undefined: never set, see KeyView). */
  readonly allowedOrigins: readonly string[] | undefined;
  readonly originList: OriginAllowList;
  /** As the view has it (undefined: the kind's default). */
  readonly rateLimitSetting: KeyRateLimit | null | undefined;
  /** The limit that applies; null: none. */
  readonly rateLimit: CompiledRateLimit | null;
}

/** Fields only some keys have (a rotation, a date or hash not in canonical form), off the common entry. */
interface RareFields {
  readonly previousSecretHash?: string;
  /** `previousSecretHash` as a lookup key. */
  readonly previousKey?: string;
  readonly graceUntil?: string;
  /** Absent when there is no previous secret. */
  readonly graceUntilMs?: number;
  readonly lastRotatedAt?: string;
  /** The expiry as written, when `new Date(expiresAtMs).toISOString()` would not give it back. */
  readonly expiresAt?: string;
  /** The secret hash as written, when it is not a lowercase hex SHA-256 (it is then the lookup key too). */
  readonly secretHash?: string;
  /** The token prefix as written, when it is not the kind's `kw_xk_` and six characters. */
  readonly tokenPrefix?: string;
  /** The creation time as written, when `new Date(createdAtMs).toISOString()` would not give it back. */
  readonly createdAt?: string;
  /** A status this code does not know (from a persisted view); `authorize` treats it as disabled. */
  readonly status?: KeyStatus;
}

/** Per entry, only when needed: the rare fields and, once the key was used, its granted outcome. */
interface Extras extends RareFields {
  granted?: AuthGranted;
}

const STATUSES: readonly KeyStatus[] = ['active', 'disabled', 'expired', 'revoked'];
const STATUS_CODES: ReadonlyMap<string, number> = new Map(STATUSES.map((st, i) => [st, i]));
/** `state` = version * STATE_VERSION + status code; code OTHER_STATUS means the status is in Extras. */
const STATE_VERSION = 8;
const OTHER_STATUS = 7;
const TOKEN_PREFIX: Readonly<Record<KeyKind, string>> = { public: 'kw_pk_', private: 'kw_sk_' };
const DISPLAY_PREFIX_LENGTH = 12;

const MAX_PROFILES = 100_000;
const NO_IPS: readonly string[] = Object.freeze([]);
const NO_PERMISSIONS: readonly Permission[] = Object.freeze([]);
/** Every empty allow-list of an index is this one. */
const ANY_ADDRESS = compileAllowList(NO_IPS);
const ANY_ORIGIN = compileOriginList(NO_IPS);

/** The grant part of a profile (permissions and IPs), shared across accounts. */
interface Grant {
  readonly id: number;
  readonly permissionList: readonly Permission[];
  readonly permissionBits: number;
  readonly permissions: ReadonlySet<Permission>;
  readonly allowedIps: readonly string[];
  readonly allowList: IpAllowList;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly originList: OriginAllowList;
}

/**
 * Interns profiles for one index: keys with the same account, kind, creator, permission list and
 * IP list share one, and profiles with the same permission and IP lists share their Set and their
 * compiled allow-list. Bounded: when full a table starts over (profiles in use stay with their keys).
 */
export class KeyProfiles {
  private readonly grants = new Map<string, Grant>();
  private readonly profiles = new Map<string, KeyProfile>();
  private readonly rateLimits = new Map<string, CompiledRateLimit>();
  private nextGrantId = 0;
  private lastGrant: Grant | undefined;

  /** The profile of `view`, reusing `previous` when the view's parts are those `previous` was made from. */
  of(view: KeyView, previous: KeyProfile | undefined): KeyProfile {
    if (
      previous !== undefined &&
      previous.permissionList === view.permissions &&
      previous.allowedIps === view.allowedIps &&
      previous.allowedOrigins === view.allowedOrigins &&
      previous.rateLimitSetting === view.rateLimit &&
      previous.accountId === view.accountId &&
      previous.kind === view.kind &&
      previous.createdBy === view.createdBy
    ) {
      return previous;
    }
    const grant = this.grant(view.permissions, view.allowedIps, view.allowedOrigins);
    const setting = view.rateLimit;
    const content = JSON.stringify([grant.id, view.accountId, view.kind, view.createdBy, setting === undefined ? 'default' : setting]);
    const known = this.profiles.get(content);
    if (known !== undefined) return known;
    if (this.profiles.size >= MAX_PROFILES) this.profiles.clear();
    const profile: KeyProfile = Object.freeze({
      accountId: view.accountId,
      kind: view.kind,
      createdBy: view.createdBy,
      permissionList: grant.permissionList,
      permissionBits: grant.permissionBits,
      permissions: grant.permissions,
      allowedIps: grant.allowedIps,
      allowList: grant.allowList,
      allowedOrigins: grant.allowedOrigins,
      originList: grant.originList,
      rateLimitSetting: setting,
      rateLimit: this.rateLimit(effectiveRateLimit(view.kind, setting)),
    });
    this.profiles.set(content, profile);
    return profile;
  }

  /** One compiled limit per distinct limit: every key with the public default shares one. */
  private rateLimit(limit: KeyRateLimit | null): CompiledRateLimit | null {
    if (limit === null) return null;
    const content = `${limit.requests}/${limit.windowSeconds}/${limit.burst}`;
    let compiled = this.rateLimits.get(content);
    if (compiled === undefined) {
      if (this.rateLimits.size >= MAX_PROFILES) this.rateLimits.clear();
      compiled = compileRateLimit(limit);
      this.rateLimits.set(content, compiled);
    }
    return compiled;
  }

  private grant(permissionList: readonly Permission[], allowedIps: readonly string[], allowedOrigins: readonly string[] | undefined): Grant {
    // Consecutive keys mostly share their grant (a restart loads a million views, each with its own arrays).
    const last = this.lastGrant;
    if (last !== undefined && sameList(last.permissionList, permissionList) && sameList(last.allowedIps, allowedIps) &&
      (last.allowedOrigins === undefined ? allowedOrigins === undefined : allowedOrigins !== undefined && sameList(last.allowedOrigins, allowedOrigins))) return last;
    const content = JSON.stringify([permissionList, allowedIps, allowedOrigins ?? null]);
    const known = this.grants.get(content);
    if (known !== undefined) {
      this.lastGrant = known;
      return known;
    }
    if (this.grants.size >= MAX_PROFILES) this.grants.clear();
    let permissionBits = 0;
    const permissions = new Set<Permission>();
    for (const p of permissionList) {
      const bit = PERMISSION_BITS.get(p);
      if (bit === undefined) continue;
      permissionBits |= bit;
      permissions.add(p);
    }
    const ips = allowedIps.length === 0 ? NO_IPS : Object.freeze([...allowedIps]);
    const grant: Grant = Object.freeze({
      id: this.nextGrantId++,
      permissionList: permissionList.length === 0 ? NO_PERMISSIONS : Object.freeze([...permissionList]),
      permissionBits,
      permissions,
      allowedIps: ips,
      allowList: ips.length === 0 ? ANY_ADDRESS : compileAllowList(ips),
      allowedOrigins: allowedOrigins === undefined ? undefined : allowedOrigins.length === 0 ? NO_IPS : Object.freeze([...allowedOrigins]),
      originList: allowedOrigins === undefined || allowedOrigins.length === 0 ? ANY_ORIGIN : compileOriginList(allowedOrigins),
    });
    this.grants.set(content, grant);
    this.lastGrant = grant;
    return grant;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Built field by field, not frozen from a spread: the limiter reads these fields on every request,
 * and a spread-and-freeze object leaves V8 with a slow shape (measured: ~1 µs a check instead of ~50 ns).
 */
function compileRateLimit(limit: KeyRateLimit): CompiledRateLimit {
  const compiled: CompiledRateLimit = { requests: limit.requests, windowSeconds: limit.windowSeconds, burst: limit.burst, perMs: limit.requests / (limit.windowSeconds * 1000) };
  return compiled;
}

/**
 * A key as the index holds it, small enough for a million of them: the shared profile, the
 * secret hash as a 32-character lookup key, the expiry as epoch milliseconds, version and status
 * in one small integer, and the view's own strings. The view itself is not kept; `view` rebuilds
 * it (for persisting, listing, rebuild comparisons), field for field. Everything `authorize`
 * reads is a plain field or the profile's.
 */
export class IndexedKey implements KeySlots {
  constructor(
    readonly id: string,
    /** `tokenDigest` form of the current secret's hash (or the hash as written, see RareFields). */
    readonly lookupKey: string,
    /** version * 8 + status code. */
    private readonly state: number,
    /** NaN for an unreadable date, which every `now < expiresAtMs` test treats as expired. */
    readonly expiresAtMs: number,
    readonly profile: KeyProfile,
    private readonly name: string,
    /** The six characters after the kind's `kw_xk_`. */
    private readonly tokenPrefixTail: string,
    /** Epoch ms: a number takes 16 bytes, the ISO text 40 (see Extras.createdAt for text it cannot hold). */
    private readonly createdAtMs: number,
    /** Undefined while it equals createdAt (a key never changed since its creation). */
    private readonly updatedAt: string | undefined,
    private extras: Extras | undefined,
    /** The slots of the entry this one replaces (the same key), carried over. */
    carried: KeySlots | undefined,
  ) {
    this.rate = carried?.rate;
    this.usage = carried?.usage;
  }

  /** This process's rate bucket for the key (key-slots.ts); undefined until the key is first limited. */
  rate: RateBucket | undefined;
  /** This process's usage bucket for the key (key-slots.ts); undefined until the key is first counted. */
  usage: UsageBucket | undefined;

  get version(): number {
    return Math.floor(this.state / STATE_VERSION);
  }

  get status(): KeyStatus {
    const code = this.state % STATE_VERSION;
    return code === OTHER_STATUS ? (this.extras?.status ?? 'disabled') : (STATUSES[code] ?? 'disabled');
  }

  get kind(): KeyKind {
    return this.profile.kind;
  }

  get permissions(): ReadonlySet<Permission> {
    return this.profile.permissions;
  }

  get allowList(): IpAllowList {
    return this.profile.allowList;
  }

  /** -Infinity when there is no previous secret. */
  get graceUntilMs(): number {
    return this.extras?.graceUntilMs ?? Number.NEGATIVE_INFINITY;
  }

  /** Lookup key of the secret the last rotation replaced, if any. */
  get previousKey(): string | undefined {
    return this.extras?.previousKey;
  }

  /**
   * The success outcome `authorize` returns for this key, made on the first successful check and
   * kept (a key nobody uses costs nothing for it), carried over while the key's grant is unchanged.
   */
  get granted(): AuthGranted {
    const extras = this.extras;
    if (extras?.granted !== undefined) return extras.granted;
    const p = this.profile;
    const granted: AuthGranted = Object.freeze({
      ok: true as const,
      key: Object.freeze({ keyId: this.id, accountId: p.accountId, kind: p.kind, permissions: p.permissions }),
    });
    if (extras === undefined) this.extras = { granted };
    else extras.granted = granted;
    return granted;
  }

  /** The key's view, rebuilt from the entry (a new object each call). */
  get view(): KeyView {
    const p = this.profile;
    const x = this.extras;
    const createdAt = x?.createdAt ?? new Date(this.createdAtMs).toISOString();
    const view: { -readonly [F in keyof KeyView]: KeyView[F] } = {
      id: this.id,
      accountId: p.accountId,
      kind: p.kind,
      name: this.name,
      permissions: p.permissionList,
      allowedIps: p.allowedIps,
      expiresAt: x?.expiresAt ?? new Date(this.expiresAtMs).toISOString(),
      status: this.status,
      createdAt,
      createdBy: p.createdBy,
      secretHash: x?.secretHash ?? tokenHashOfDigest(this.lookupKey),
      tokenPrefix: x?.tokenPrefix ?? TOKEN_PREFIX[p.kind] + this.tokenPrefixTail,
      version: this.version,
      updatedAt: this.updatedAt ?? createdAt,
    };
    if (p.allowedOrigins !== undefined) view.allowedOrigins = p.allowedOrigins;
    if (p.rateLimitSetting !== undefined) view.rateLimit = p.rateLimitSetting;
    if (x?.previousSecretHash !== undefined) view.previousSecretHash = x.previousSecretHash;
    if (x?.graceUntil !== undefined) view.graceUntil = x.graceUntil;
    if (x?.lastRotatedAt !== undefined) view.lastRotatedAt = x.lastRotatedAt;
    return view;
  }

  /** The granted outcome of this entry, to carry over to the entry that replaces it. */
  grantedSoFar(): AuthGranted | undefined {
    return this.extras?.granted;
  }
}

/** Builds the entry for `view`, reusing from `previous` whatever the change did not touch. */
export function indexKey(view: KeyView, previous: IndexedKey | undefined, profiles: KeyProfiles): IndexedKey {
  const profile = profiles.of(view, previous?.profile);
  const expiresAtMs = Date.parse(view.expiresAt);
  const canonicalExpiry = isCanonicalIsoTime(view.expiresAt, expiresAtMs);
  const digest = digestOfTokenHash(view.secretHash);
  const kindPrefix = TOKEN_PREFIX[view.kind] as string | undefined;
  const usualPrefix = kindPrefix !== undefined && view.tokenPrefix.length === DISPLAY_PREFIX_LENGTH && view.tokenPrefix.startsWith(kindPrefix);
  const statusCode = STATUS_CODES.get(view.status) ?? OTHER_STATUS;
  const createdAtMs = Date.parse(view.createdAt);
  const canonicalCreation = isCanonicalIsoTime(view.createdAt, createdAtMs);
  const previousGranted = previous?.grantedSoFar();
  // The outcome names the key, its account, kind and permissions: kept only if none changed.
  const granted = previousGranted !== undefined && previous?.id === view.id && previous.profile.accountId === profile.accountId &&
    previous.profile.kind === profile.kind && previous.profile.permissions === profile.permissions ? previousGranted : undefined;
  const rotated = view.previousSecretHash !== undefined || view.graceUntil !== undefined || view.lastRotatedAt !== undefined;
  let extras: Extras | undefined;
  if (rotated || !canonicalExpiry || !canonicalCreation || digest === undefined || !usualPrefix || statusCode === OTHER_STATUS) {
    extras = {
      ...(view.graceUntil !== undefined ? { graceUntilMs: Date.parse(view.graceUntil) } : {}),
      ...(view.previousSecretHash !== undefined
        ? { previousSecretHash: view.previousSecretHash, previousKey: digestOfTokenHash(view.previousSecretHash) ?? view.previousSecretHash }
        : {}),
      ...(view.graceUntil !== undefined ? { graceUntil: view.graceUntil } : {}),
      ...(view.lastRotatedAt !== undefined ? { lastRotatedAt: view.lastRotatedAt } : {}),
      ...(canonicalExpiry ? {} : { expiresAt: view.expiresAt }),
      ...(canonicalCreation ? {} : { createdAt: view.createdAt }),
      ...(digest === undefined ? { secretHash: view.secretHash } : {}),
      ...(usualPrefix ? {} : { tokenPrefix: view.tokenPrefix }),
      ...(statusCode === OTHER_STATUS ? { status: view.status } : {}),
      ...(granted !== undefined ? { granted } : {}),
    };
  } else if (granted !== undefined) {
    extras = { granted };
  }
  return new IndexedKey(view.id, digest ?? view.secretHash, view.version * STATE_VERSION + statusCode, expiresAtMs, profile,
    view.name, usualPrefix ? view.tokenPrefix.slice(kindPrefix.length) : '', createdAtMs,
    view.updatedAt === view.createdAt ? undefined : view.updatedAt, extras,
    previous?.id === view.id ? previous : undefined);
}
