import type { Permission } from '../catalog/operation-catalog';
import type { DeviceEventDataByType } from '../devices/device-events';
import { KEY_KINDS } from '../keys/key-token';
import type { KeyEventDataByType } from '../keys/key-events';
import { PUBLIC_KEY_DEFAULT_RATE_LIMIT } from '../keys/rate-limit';
import type { ServiceName } from '../services/services';
import { SERVICES } from '../services/services';
import { SESSION_OUTCOMES } from '../sessions/session-events';
import type { SessionEventDataByType } from '../sessions/session-events';
import type { TechnicianEventDataByType } from '../technicians/technician-events';
import type { TicketEventDataByType } from '../tickets/ticket-events';
import type { UsageEventDataByType } from '../usage/usage-events';
import { USAGE_TOPIC } from '../usage/usage-events';
import { EventRegistry, olderShape } from './event-registry';
import type { Schema } from './schema';
import { arrayOf, integer, isoDateTime, nullable, object, oneOf, optional, text } from './schema';

// Limits are far above what the services' DTOs accept today: an event stored under an older, looser
// rule must still read. They only keep a hostile message from being held in memory.
const id = text({ min: 1, max: 200 });
const actor = id;
const name = text({ min: 1, max: 1000 });
const sha256Hex = text({ pattern: /^[0-9a-f]{64}$/ });
const reason = optional(text({ max: 10_000 }));
const ipOrCidr = text({ min: 1, max: 100 });
const origin = text({ min: 1, max: 1000 });
const rateLimit = nullable(object({ requests: integer(1), windowSeconds: integer(1), burst: integer(1) }));

/**
 * The form of a permission name. Checked by form, not against today's catalog: a key created when
 * the catalog still had a permission that has since left it must stay readable (the name then
 * grants nothing: every guard asks only for permissions the catalog has).
 */
const permission: Schema<Permission> = {
  check: (v, path) => (typeof v === 'string' && /^[a-z]+(:[a-z]+){1,3}$/.test(v) ? undefined : `${path} must be a permission name`),
};

const keyCreatedV1 = {
  kind: oneOf(KEY_KINDS),
  name,
  permissions: arrayOf(permission, 100),
  allowedIps: arrayOf(ipOrCidr),
  expiresAt: isoDateTime,
  createdBy: actor,
  secretHash: sha256Hex,
  tokenPrefix: text({ min: 1, max: 40 }),
};

export const KEY_EVENTS = new EventRegistry<KeyEventDataByType>(SERVICES.keys.topic, {
  KeyCreated: {
    // v2 adds allowedOrigins and rateLimit. A new number, not an optional field: a reader that
    // ignored them would accept a restricted key from any origin at any rate; an old reader refuses a v2.
    schemaVersion: 2,
    data: object({ ...keyCreatedV1, allowedOrigins: arrayOf(origin), rateLimit }),
    older: {
      // A key created before: no origin restriction, and the kind's default limit (public keys are limited).
      1: olderShape(object(keyCreatedV1), (d) => ({ ...d, allowedOrigins: [], rateLimit: d.kind === 'public' ? PUBLIC_KEY_DEFAULT_RATE_LIMIT : null })),
    },
  },
  KeyDisabled: { schemaVersion: 1, data: object({ by: actor, reason }) },
  KeyEnabled: { schemaVersion: 1, data: object({ by: actor, expiresAt: isoDateTime }) },
  KeyExpired: { schemaVersion: 1, data: object({ expiredAt: isoDateTime }) },
  KeyRotated: {
    schemaVersion: 1,
    data: object({ by: actor, secretHash: sha256Hex, tokenPrefix: text({ min: 1, max: 40 }), previousSecretHash: sha256Hex, graceUntil: isoDateTime }),
  },
  KeyExpiryChanged: { schemaVersion: 1, data: object({ by: actor, expiresAt: isoDateTime }) },
  KeyPermissionsChanged: { schemaVersion: 1, data: object({ by: actor, permissions: arrayOf(permission, 100) }) },
  KeyAllowedIpsChanged: { schemaVersion: 1, data: object({ by: actor, allowedIps: arrayOf(ipOrCidr) }) },
  KeyRevoked: { schemaVersion: 1, data: object({ by: actor, reason }) },
  KeyAllowedOriginsChanged: { schemaVersion: 1, data: object({ by: actor, allowedOrigins: arrayOf(origin) }) },
  KeyRateLimitChanged: { schemaVersion: 1, data: object({ by: actor, rateLimit }) },
});

export const TECHNICIAN_EVENTS = new EventRegistry<TechnicianEventDataByType>(SERVICES.technicians.topic, {
  TechnicianRegistered: { schemaVersion: 1, data: object({ name, email: text({ min: 1, max: 320 }), by: actor }) },
  TechnicianUpdated: { schemaVersion: 1, data: object({ name: optional(name), email: optional(text({ min: 1, max: 320 })), by: actor }) },
  TechnicianDeactivated: { schemaVersion: 1, data: object({ by: actor, reason }) },
});

const tags = arrayOf(text({ max: 1000 }));
export const DEVICE_EVENTS = new EventRegistry<DeviceEventDataByType>(SERVICES.devices.topic, {
  DeviceRegistered: {
    schemaVersion: 1,
    data: object({ name, os: text({ max: 1000 }), hostname: text({ max: 1000 }), tags, ownerTechnicianId: nullable(id), by: actor }),
  },
  DeviceUpdated: {
    schemaVersion: 1,
    data: object({
      name: optional(name), os: optional(text({ max: 1000 })), hostname: optional(text({ max: 1000 })), tags: optional(tags),
      ownerTechnicianId: optional(nullable(id)), by: actor,
    }),
  },
  DeviceRemoved: { schemaVersion: 1, data: object({ by: actor }) },
});

export const TICKET_EVENTS = new EventRegistry<TicketEventDataByType>(SERVICES.tickets.topic, {
  TicketCreated: {
    schemaVersion: 1,
    data: object({
      reference: text({ min: 1, max: 100 }),
      requesterName: text({ max: 1000 }),
      requesterEmail: text({ max: 1000 }),
      contact: nullable(text({ max: 1000 })),
      problemDescription: text({ max: 20_000 }),
      deviceId: nullable(id),
      by: actor,
    }),
  },
  TicketAssigned: { schemaVersion: 1, data: object({ technicianId: id, by: actor }) },
  TicketInProgress: { schemaVersion: 1, data: object({ sessionId: id }) },
  TicketClosed: { schemaVersion: 1, data: object({ by: actor, resolution: nullable(text({ max: 20_000 })), sessionId: nullable(id) }) },
});

export const SESSION_EVENTS = new EventRegistry<SessionEventDataByType>(SERVICES.sessions.topic, {
  SessionCreated: { schemaVersion: 1, data: object({ code: text({ min: 1, max: 100 }), deviceId: nullable(id), ticketId: nullable(id), by: actor }) },
  SessionStarted: { schemaVersion: 1, data: object({ technicianId: id, by: actor }) },
  SessionEnded: { schemaVersion: 1, data: object({ outcome: oneOf(SESSION_OUTCOMES), notes: nullable(text({ max: 20_000 })), by: actor }) },
});

// Usage (docs/usage.md): not an aggregate's events; `version` is the source's report number.
export const USAGE_EVENTS = new EventRegistry<UsageEventDataByType>(USAGE_TOPIC, {
  KeyUsageRecorded: {
    schemaVersion: 1,
    data: object({
      window: isoDateTime,
      source: text({ min: 1, max: 300 }),
      service: text({ min: 1, max: 100 }),
      instance: text({ min: 1, max: 200 }),
      counts: arrayOf(object({ operation: text({ min: 1, max: 300 }), outcome: text({ min: 1, max: 100 }), count: integer(1) }), 2000),
      lastUsedAt: isoDateTime,
      lastOperation: text({ min: 1, max: 300 }),
      lastAddress: nullable(text({ min: 1, max: 100 })),
    }),
  },
});

export type AnyEventRegistry = EventRegistry<KeyEventDataByType> | EventRegistry<TechnicianEventDataByType> | EventRegistry<DeviceEventDataByType>
  | EventRegistry<TicketEventDataByType> | EventRegistry<SessionEventDataByType>;

/** The registry of the topic a service publishes (undefined for the edge, which publishes none). */
export function eventRegistryOf(service: ServiceName): AnyEventRegistry | undefined {
  switch (service) {
    case 'keys': return KEY_EVENTS;
    case 'technicians': return TECHNICIAN_EVENTS;
    case 'devices': return DEVICE_EVENTS;
    case 'tickets': return TICKET_EVENTS;
    case 'sessions': return SESSION_EVENTS;
    case 'edge': return undefined;
  }
}
