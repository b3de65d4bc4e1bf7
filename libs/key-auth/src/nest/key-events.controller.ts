import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { KeyEventEnvelope, KeyEventType } from '@keyward/contracts';
import type { ApplyResult } from '../projection/key-index';
import { KeyIndex } from '../projection/key-index';

/** Events that can give access or change what a key may do: past a version gap they are quarantined. */
const CHANGES_ACCESS = [
  'KeyCreated', 'KeyEnabled', 'KeyRotated', 'KeyExpiryChanged', 'KeyPermissionsChanged',
  'KeyAllowedIpsChanged', 'KeyAllowedOriginsChanged', 'KeyRateLimitChanged',
] as const satisfies readonly KeyEventType[];
/** Events that only take access away: they take effect even past a version gap. */
const TAKES_ACCESS_AWAY = ['KeyRevoked', 'KeyDisabled', 'KeyExpired'] as const satisfies readonly KeyEventType[];

/**
 * How every service (and the edge) reacts to keys.events: each key event is folded into the key
 * projection's index, which the guard reads on every request. Called by the event transport in the
 * projection's batch loop with the index to apply to (the live one, or a rebuild's); what it returns
 * is the apply outcome the projection counts, dead-letters (quarantined) and persists by.
 */
@Controller()
export class KeyEventsController {
  @EventPattern(CHANGES_ACCESS)
  accessChanged(event: KeyEventEnvelope, keys: KeyIndex): ApplyResult {
    return keys.apply(event);
  }

  @EventPattern(TAKES_ACCESS_AWAY)
  accessTakenAway(event: KeyEventEnvelope, keys: KeyIndex): ApplyResult {
    return keys.apply(event);
  }
}
