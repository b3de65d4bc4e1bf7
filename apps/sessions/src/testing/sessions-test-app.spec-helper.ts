import type { ServiceConfig } from '@keyward/config';
import type { DeviceEventDataByType, DeviceEventType, Permission, TicketEventDataByType, TicketEventType } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import type { ManualClock, Published, TestKeySpec } from '@keyward/testing';
import { envelope, freshId, MirroringTestApp, startMirroringTestApp } from '@keyward/testing';
import { SessionsModule } from '../sessions.module';

export { envelope, freshId, unknownKey } from '@keyward/testing';
export type { CallOptions, Published, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_sessions_a';
export const OTHER_ACCOUNT = 'acc_sessions_b';

const ALL_SESSIONS: readonly Permission[] = ['sessions:create', 'sessions:read', 'sessions:write', 'sessions:history:read'];

/** The keys every sessions spec uses, published onto `<prefix>keys.events` as the keys service would. */
const KEY_SPECS = {
  /** Private, account A: every sessions permission. */
  admin: { accountId: ACCOUNT, permissions: ALL_SESSIONS },
  /** Private, account A: sessions:read only. */
  reader: { accountId: ACCOUNT, permissions: ['sessions:read'] },
  /** Private, account A: sessions:create, sessions:read, sessions:write, not the history. */
  operator: { accountId: ACCOUNT, permissions: ['sessions:create', 'sessions:read', 'sessions:write'] },
  /** Private, account A: sessions:create only. */
  creator: { accountId: ACCOUNT, permissions: ['sessions:create'] },
  /** Public, account A: sessions:create (the seed's public route). */
  public: { accountId: ACCOUNT, kind: 'public', permissions: ['sessions:create'] },
  /** Private, account B: every sessions permission. */
  other: { accountId: OTHER_ACCOUNT, permissions: ALL_SESSIONS },
} as const satisfies Record<string, TestKeySpec>;

/**
 * The sessions service in this test process (a clock the spec moves), with a producer to put
 * technicians', devices' and tickets' contract events on their topics.
 */
export class SessionsTestApp extends MirroringTestApp<keyof typeof KEY_SPECS> {
  static async start(options: { clock?: ManualClock; config?: ServiceConfig } = {}): Promise<SessionsTestApp> {
    return new SessionsTestApp(await startMirroringTestApp<keyof typeof KEY_SPECS>({
      service: 'sessions',
      module: (config, clock) => SessionsModule.forRoot({ config, ...(clock ? { clock } : {}) }),
      keys: KEY_SPECS,
      defaultKey: 'admin',
      ...options,
    }));
  }

  /** Opens a session with the admin key (or another) and returns the answer's body. */
  async createSession(body: Record<string, unknown> = {}, secret = this.keys.admin.secret): Promise<Record<string, unknown> & { id: string }> {
    const reply = await this.call('POST', '/v1/sessions', { secret, body });
    if (reply.status !== 201) throw new Error(`could not create a session: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as Record<string, unknown> & { id: string };
  }

  /** Events in the sessions event store (to prove a refused command wrote nothing). */
  eventCount(): Promise<number> {
    return this.service.app.get(MongoEventStore).events.countDocuments();
  }

  publishDevice<T extends DeviceEventType>(type: T, id: string, version: number, data: DeviceEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.devices.topic, envelope(type, id, accountId, version, data));
  }

  publishTicket<T extends TicketEventType>(type: T, id: string, version: number, data: TicketEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.tickets.topic, envelope(type, id, accountId, version, data));
  }

  /** A technician registered on technicians.events, once sessions knows it. */
  async knownTechnician(accountId = ACCOUNT): Promise<string> {
    const id = freshId('tech');
    await this.mirrored('technicians', await this.publishTechnician('TechnicianRegistered', id, 1, { name: 'Grace', email: 'grace@example.com', by: 'key_x' }, accountId));
    return id;
  }

  /** A device registered on devices.events, once sessions knows it. */
  async knownDevice(accountId = ACCOUNT): Promise<string> {
    const id = freshId('dev');
    await this.mirrored('devices', await this.publishDevice('DeviceRegistered', id, 1, {
      name: 'Front desk PC', os: 'windows', hostname: 'desk-01', tags: [], ownerTechnicianId: null, by: 'key_x',
    }, accountId));
    return id;
  }

  /** A ticket created on tickets.events, once sessions knows it. */
  async knownTicket(accountId = ACCOUNT): Promise<string> {
    const id = freshId('tkt');
    await this.mirrored('tickets', await this.publishTicket('TicketCreated', id, 1, {
      reference: 'TKT-7K3Q9P', requesterName: 'Ada', requesterEmail: 'ada@example.com', contact: null, problemDescription: 'slow', deviceId: null, by: 'key_x',
    }, accountId));
    return id;
  }
}
