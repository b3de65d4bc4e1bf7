import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { SessionEventEnvelope, SessionEventType } from '@keyward/contracts';
import type { MirrorApplyResult } from '@keyward/projections';
import { EntityMirror } from '@keyward/projections';
import type { SessionMirrorView } from './session.mirror';

/**
 * How tickets follows sessions: every sessions.events event, into its sessions mirror (which ticket
 * a session was opened from and how far it got). The process manager reacts once they are
 * persisted (SessionTicketEventsController).
 */
@Controller()
export class SessionEventsController {
  @EventPattern(['SessionCreated', 'SessionStarted', 'SessionEnded'] satisfies SessionEventType[])
  sessionChanged(event: SessionEventEnvelope, sessions: EntityMirror<SessionMirrorView>): MirrorApplyResult {
    return sessions.apply(event);
  }
}
