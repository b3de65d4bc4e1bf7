import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { SessionEventEnvelope, SessionEventType } from '@keyward/contracts';
import { AFTER_COMMIT } from '@keyward/service-runtime';
import type { SessionMirrorView } from '../mirrors/session.mirror';
import { SessionTicketProcessManager } from './session-ticket.process-manager';

/**
 * How tickets reacts to sessions (the session → ticket policy): a session opened from a ticket puts
 * it in progress, its end closes it. AFTER_COMMIT: called once the sessions mirror has persisted the
 * session and committed its offset, with the session as persisted (once per session and batch).
 */
@Controller()
export class SessionTicketEventsController {
  constructor(private readonly process: SessionTicketProcessManager) {}

  @EventPattern(['SessionCreated', 'SessionStarted', 'SessionEnded'] satisfies SessionEventType[], AFTER_COMMIT)
  sessionMoved(_event: SessionEventEnvelope, session: SessionMirrorView): void {
    this.process.sessionChanged(session);
  }
}
