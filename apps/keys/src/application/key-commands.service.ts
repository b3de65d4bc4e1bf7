import { Inject, Injectable } from '@nestjs/common';
import type { Actor, Permission } from '@keyward/contracts';
import { displayPrefix, generateToken, hashToken } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { newId } from '@keyward/service-runtime';
import { NEW_STREAM } from '@keyward/event-store';
import type {
  ApiKeyCommand, ApiKeyState, ChangeAllowedIps, ChangeAllowedOrigins, ChangeExpiry, ChangePermissions, ChangeRateLimit,
  CreateKey, DisableKey, EnableKey, RevokeKey,
} from '../domain';
import { keyNotFound } from '../domain';
import type { KeyAggregates } from './api-key.aggregate';
import { KEY_AGGREGATES } from './api-key.aggregate';
import { ExpirySchedule } from './expiry-schedule';
import { KeyQueries } from './key-queries';
import type { KeyDto } from './key-view.dto';
import { keyViewOf } from './key.view';

/** What the caller chooses of a command; who sends it is filled in from the acting key. */
type Fields<C extends { data: object }> = Omit<C['data'], 'by' | 'callerPermissions'>;

/** A key with its secret: answered once, when the secret is made (create, rotate), never stored. */
export interface KeyWithSecret {
  key: KeyDto;
  secret: string;
}

/**
 * The command side: builds each command from what the caller chose and the key that sends it
 * (recorded as `by`, judged by what it holds: api-key.authority.ts), runs it against the
 * aggregate (load, decide, append at the loaded version — a concurrent writer gets 409
 * `concurrent_modification` — fold, update the read model) and answers the key as it now is.
 * Another account's key is answered exactly like a missing one (404 `key_not_found`).
 */
@Injectable()
export class KeyCommands {
  constructor(
    @Inject(KEY_AGGREGATES) private readonly aggregates: KeyAggregates,
    private readonly queries: KeyQueries,
    private readonly expiries: ExpirySchedule,
  ) {}

  /** Makes the key's secret here: only its hash and display prefix reach the command and the store. */
  async create(caller: AuthorizedKey, fields: Omit<Fields<CreateKey>, 'keyId' | 'accountId' | 'secretHash' | 'tokenPrefix'>): Promise<KeyWithSecret> {
    const secret = generateToken(fields.kind);
    const keyId = newId('key');
    const state = await this.run(keyId, caller.accountId, {
      type: 'CreateKey',
      data: { ...fields, keyId, accountId: caller.accountId, ...sentBy(caller), secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret) },
    }, true);
    return { key: this.queries.presentNew(keyViewOf(state)), secret };
  }

  /** A new secret of the key's kind; the replaced one keeps working for `gracePeriodSeconds` (default 0). */
  async rotate(caller: AuthorizedKey, keyId: string, gracePeriodSeconds = 0): Promise<KeyWithSecret> {
    const { state } = await this.aggregates.loadFor(caller.accountId, keyId);
    if (state === null) throw keyNotFound(keyId);
    const secret = generateToken(state.kind);
    const next = await this.run(keyId, caller.accountId, {
      type: 'RotateKey',
      data: { ...sentBy(caller), secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret), gracePeriodSeconds },
    });
    return { key: await this.answer(next), secret };
  }

  disable(caller: AuthorizedKey, keyId: string, fields: Fields<DisableKey>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'DisableKey', data: { ...fields, ...sentBy(caller) } });
  }

  enable(caller: AuthorizedKey, keyId: string, fields: Fields<EnableKey>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'EnableKey', data: { ...fields, ...sentBy(caller) } });
  }

  changeExpiry(caller: AuthorizedKey, keyId: string, fields: Fields<ChangeExpiry>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'ChangeExpiry', data: { ...fields, ...sentBy(caller) } });
  }

  changePermissions(caller: AuthorizedKey, keyId: string, fields: Fields<ChangePermissions>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'ChangePermissions', data: { ...fields, ...sentBy(caller) } });
  }

  changeAllowedIps(caller: AuthorizedKey, keyId: string, fields: Fields<ChangeAllowedIps>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'ChangeAllowedIps', data: { ...fields, ...sentBy(caller) } });
  }

  changeAllowedOrigins(caller: AuthorizedKey, keyId: string, fields: Fields<ChangeAllowedOrigins>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'ChangeAllowedOrigins', data: { ...fields, ...sentBy(caller) } });
  }

  changeRateLimit(caller: AuthorizedKey, keyId: string, fields: Fields<ChangeRateLimit>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'ChangeRateLimit', data: { ...fields, ...sentBy(caller) } });
  }

  revoke(caller: AuthorizedKey, keyId: string, fields: Fields<RevokeKey>): Promise<KeyDto> {
    return this.change(caller, keyId, { type: 'RevokeKey', data: { ...fields, ...sentBy(caller) } });
  }

  /** The expiry scheduler's command: records `KeyExpired` once the key's expiry has passed (else a no-op). */
  expire(accountId: string, keyId: string): Promise<ApiKeyState> {
    return this.run(keyId, accountId, { type: 'ExpireKey', data: {} });
  }

  private async change(caller: AuthorizedKey, keyId: string, command: ApiKeyCommand): Promise<KeyDto> {
    return this.answer(await this.run(keyId, caller.accountId, command));
  }

  /** `newKey`: the id was made up just now (create), so there is no stream to load. */
  private async run(keyId: string, accountId: string, command: ApiKeyCommand, newKey = false): Promise<ApiKeyState> {
    const { state } = await this.aggregates.execute(keyId, accountId, command, newKey ? NEW_STREAM : {});
    if (state === null) throw keyNotFound(keyId);
    // Every state this process writes, so the sweep finds its expiry without querying the read model.
    this.expiries.track(state.id, state.accountId, state.status, Date.parse(state.expiresAt));
    return state;
  }

  private answer(state: ApiKeyState): Promise<KeyDto> {
    return this.queries.present(keyViewOf(state));
  }
}

/** Who sends a key command: recorded as `by`, and judged by what its key holds. */
function sentBy(caller: AuthorizedKey): { by: Actor; callerPermissions: Permission[] } {
  return { by: caller.keyId, callerPermissions: [...caller.permissions] };
}
