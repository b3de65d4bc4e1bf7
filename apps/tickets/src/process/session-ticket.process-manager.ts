import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { RuleViolation } from '@keyward/contracts';
import { ConcurrencyError } from '@keyward/event-store';
import { TicketCommands } from '../application/ticket-commands.service';
import type { SessionsMirror, TicketViews } from '../application/ticket.aggregate';
import { SESSIONS_MIRROR, TICKET_VIEWS } from '../application/ticket.aggregate';
import type { SessionMirrorView } from '../mirrors/session.mirror';
import { ticketCommandFor, ticketIsBehind } from './session-ticket.policy';

const CONCURRENCY_RETRIES = 5;
const FAILURE_RETRIES = 3;
const FAILURE_BACKOFF_MS = 500;
/** How often every mirrored session is compared with its ticket, to catch anything missed. */
export const RECONCILE_INTERVAL_MS = 5 * 60_000;
const RECONCILE_BATCH = 500;

/**
 * Sessions drive tickets (the process manager of the session → ticket policy):
 * SessionCreated with a ticketId puts the ticket in progress, SessionEnded closes it.
 *
 * Eventual consistency: this runs on tickets' mirror of sessions.events, so a ticket follows its
 * session after the session service's relay has published the event and this mirror has read
 * it: usually well under a second, unbounded while Kafka or either service is down. Until then
 * the ticket still reads `open`/`assigned` (or `in_progress` after the session ended). Nothing is
 * lost meanwhile: the mirror resumes from its checkpoint.
 *
 * Delivery: the mirror applies each session event once (by version); SessionTicketEventsController
 * hands the session over once the mirror has persisted it and committed its offset (an AFTER_COMMIT
 * `@EventPattern` reaction), so a crash between that and the ticket command would drop the
 * notification. Hence the reconciliation pass, once the mirror has loaded its state and every
 * RECONCILE_INTERVAL_MS, which compares every mirrored session with its ticket and re-sends the
 * command to tickets that are behind. The commands are idempotent (no-ops when the ticket is
 * already in that state), so redelivery, the pass and the live path can overlap harmlessly.
 * A ticket that is unknown in the session's account, or closed, is left alone and logged.
 */
@Injectable()
export class SessionTicketProcessManager implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SessionTicketProcess');
  /** One command at a time, in arrival order: a session's own events never race each other. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SESSIONS_MIRROR) private readonly sessions: SessionsMirror,
    @Inject(TICKET_VIEWS) private readonly tickets: TicketViews,
    private readonly commands: TicketCommands,
  ) {}

  onApplicationBootstrap(): void {
    // Once the mirror has loaded what it persisted (before it reads on from there): whatever it
    // applied before then was handed over, or is caught by this pass; what it applies after, is handed over.
    this.sessions.onLoaded(() => this.enqueue(() => this.reconcile()));
    this.timer = setInterval(() => this.enqueue(() => this.reconcile()), RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.queue;
  }

  /** Resolves once everything queued so far has run (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Compares every mirrored session opened from a ticket with the ticket, and moves those behind. */
  async reconcile(): Promise<void> {
    const withTicket = this.sessions.index.snapshot().filter((s) => s.ticketId !== null);
    for (let i = 0; i < withTicket.length && !this.stopped; i += RECONCILE_BATCH) {
      const batch = withTicket.slice(i, i + RECONCILE_BATCH);
      const ids = [...new Set(batch.map((s) => s.ticketId ?? ''))];
      const found = await this.tickets.find({ _id: { $in: ids } }, { _id: 1 }, ids.length);
      const byId = new Map(found.map((t) => [t.id, t]));
      for (const session of batch) {
        const ticket = byId.get(session.ticketId ?? '');
        // Unknown here or in another account: the live path logs those; the pass stays quiet.
        if (!ticket || ticket.accountId !== session.accountId || !ticketIsBehind(session, ticket)) continue;
        this.logger.log(`reconciling ticket ${ticket.id} (${ticket.status}) with session ${session.id} (${session.status})`);
        await this.follow(session);
      }
    }
  }

  /** A session the mirror has persisted: its ticket follows it, in arrival order. */
  sessionChanged(session: SessionMirrorView): void {
    this.enqueue(() => this.follow(session));
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await work();
      } catch (e) {
        this.logger.error(`session → ticket policy failed; the next reconciliation retries it: ${describe(e)}`);
      }
    });
  }

  private async follow(session: SessionMirrorView): Promise<void> {
    const next = ticketCommandFor(session);
    if (!next) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const state = await this.commands.run(next.ticketId, next.accountId, next.command, { causationId: session.lastEventId, correlationId: session.id });
        this.logger.debug(`ticket ${next.ticketId} is ${state.status} after session ${session.id} (${session.status})`);
        return;
      } catch (e) {
        if (e instanceof RuleViolation) {
          // Closed or unknown (in this account): the session cannot move it; that is not an error.
          this.logger.warn(`ignored ${next.command.type} of ticket ${next.ticketId} for session ${session.id}: ${e.code}: ${e.message}`);
          return;
        }
        const retriable = e instanceof ConcurrencyError ? attempt < CONCURRENCY_RETRIES : attempt < FAILURE_RETRIES;
        if (!retriable || this.stopped) throw e;
        if (!(e instanceof ConcurrencyError)) await new Promise((r) => setTimeout(r, FAILURE_BACKOFF_MS * attempt));
      }
    }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
