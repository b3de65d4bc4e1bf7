import type { ServiceConfig } from '@keyward/config';
import type { Permission, SessionEventDataByType, SessionEventType } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import type { ManualClock, Published, TestKeySpec } from '@keyward/testing';
import { envelope, MirroringTestApp, startMirroringTestApp } from '@keyward/testing';
import type { DevicesMirror, TechniciansMirror } from '@keyward/projections';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR } from '@keyward/projections';
import { SessionTicketProcessManager } from '../process/session-ticket.process-manager';
import { TicketsModule } from '../tickets.module';

export { envelope, freshId, unknownKey } from '@keyward/testing';
export type { CallOptions, Published, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_tickets_a';
export const OTHER_ACCOUNT = 'acc_tickets_b';

const ALL_TICKETS: readonly Permission[] = ['tickets:create', 'tickets:read', 'tickets:write'];

/** The keys every tickets spec uses, published onto `<prefix>keys.events` as the keys service would. */
const KEY_SPECS = {
  /** Private, account A: every tickets permission. */
  admin: { accountId: ACCOUNT, permissions: ALL_TICKETS },
  /** Private, account A: tickets:read only. */
  reader: { accountId: ACCOUNT, permissions: ['tickets:read'] },
  /** Private, account A: tickets:create only. */
  creator: { accountId: ACCOUNT, permissions: ['tickets:create'] },
  /** Public, account A: tickets:create (the seed's public route). */
  public: { accountId: ACCOUNT, kind: 'public', permissions: ['tickets:create'] },
  /** Private, account B: every tickets permission. */
  other: { accountId: OTHER_ACCOUNT, permissions: ALL_TICKETS },
} as const satisfies Record<string, TestKeySpec>;

/** The tickets service in this test process, with a producer to put other services' contract events on their topics. */
export class TicketsTestApp extends MirroringTestApp<keyof typeof KEY_SPECS> {
  static async start(options: { clock?: ManualClock; config?: ServiceConfig } = {}): Promise<TicketsTestApp> {
    return new TicketsTestApp(await startMirroringTestApp<keyof typeof KEY_SPECS>({
      service: 'tickets',
      module: (config, clock) => TicketsModule.forRoot({ config, ...(clock ? { clock } : {}) }),
      keys: KEY_SPECS,
      defaultKey: 'admin',
      ...options,
    }));
  }

  /** tickets' mirror of devices.events. */
  devices(): DevicesMirror {
    return this.service.app.get<DevicesMirror>(DEVICES_MIRROR);
  }

  /** tickets' mirror of technicians.events. */
  technicians(): TechniciansMirror {
    return this.service.app.get<TechniciansMirror>(TECHNICIANS_MIRROR);
  }

  /** Creates a ticket with the admin key (or another) and returns its full view. */
  async createTicket(overrides: Record<string, unknown> = {}, secret = this.keys.admin.secret): Promise<Record<string, unknown> & { id: string }> {
    const reply = await this.call('POST', '/v1/tickets', { secret, body: { ...VALID_TICKET, ...overrides } });
    if (reply.status !== 201) throw new Error(`could not create a ticket: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as Record<string, unknown> & { id: string };
  }

  async ticket(id: string): Promise<Record<string, unknown>> {
    const reply = await this.call('GET', `/v1/tickets/${id}`);
    if (reply.status !== 200) throw new Error(`GET ticket ${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** Events in the tickets event store (to prove a refused or repeated command wrote nothing). */
  eventCount(): Promise<number> {
    return this.service.app.get(MongoEventStore).events.countDocuments();
  }

  publishSession<T extends SessionEventType>(type: T, sessionId: string, version: number, data: SessionEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.sessions.topic, envelope(type, sessionId, accountId, version, data));
  }

  /**
   * Waits until the sessions mirror has read past a published event and the process manager has
   * finished what that gave it: the mirror calls its listeners in the same synchronous step in
   * which it advances the position that GET /admin/projections shows.
   */
  async sessionEventHandled(published: Published): Promise<void> {
    await this.mirrored('sessions', published);
    await this.service.app.get(SessionTicketProcessManager).idle();
  }
}

export const VALID_TICKET = {
  requesterName: 'Ada Lovelace',
  requesterEmail: 'ada@example.com',
  contact: '+44 20 7946 0000',
  problemDescription: 'The analytical engine prints only question marks',
} as const;
