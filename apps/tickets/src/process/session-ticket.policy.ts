import type { CloseTicket, MarkTicketInProgress } from '../domain';
import type { SessionMirrorView } from '../mirrors/session.mirror';

/** A ticket command and the ticket it is for. */
export interface TicketCommandFor {
  readonly ticketId: string;
  readonly accountId: string;
  readonly command: MarkTicketInProgress | CloseTicket;
}

/**
 * The cross-service policy, as a pure function of a session as tickets mirrors it:
 * - a session opened from a ticket (waiting or active) puts the ticket in progress;
 * - its end closes the ticket, with the outcome as the resolution and the session recorded.
 * A session not opened from a ticket means nothing to tickets. The commands are no-ops when the
 * ticket is already in that state, so the same session seen again changes nothing.
 */
export function ticketCommandFor(session: SessionMirrorView): TicketCommandFor | undefined {
  if (session.ticketId === null) return undefined;
  const target = { ticketId: session.ticketId, accountId: session.accountId };
  if (session.status === 'ended') {
    return {
      ...target,
      command: {
        type: 'CloseTicket',
        data: { by: session.endedBy ?? session.id, resolution: `session ended: ${session.outcome ?? 'unknown'}`, sessionId: session.id },
      },
    };
  }
  return { ...target, command: { type: 'MarkTicketInProgress', data: { sessionId: session.id } } };
}

/**
 * Whether a ticket, as the read model has it, still has to be moved by a session's state: used
 * by the reconciliation pass to touch only tickets that are behind.
 */
export function ticketIsBehind(session: SessionMirrorView, ticket: { status: string }): boolean {
  if (ticket.status === 'closed') return false;
  return session.status === 'ended' || ticket.status !== 'in_progress';
}
