import type { ServiceName } from '../services/services';
import type { Permission } from './operation-catalog';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One operation of the public API: where the edge sends it and the permission it needs. */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** Express-style template: `/v1/keys/:keyId`. */
  readonly path: string;
  readonly service: ServiceName;
  readonly permission: Permission;
  readonly summary: string;
}

/**
 * Every route of the public API, the one table the edge authorizes against before forwarding.
 * Each service also names the same permission on its own handler (@RequirePermission); a test
 * compares this table with the routes the services really expose, so the two cannot drift.
 */
export const PUBLIC_ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/v1/keys', service: 'keys', permission: 'keys:manage', summary: 'Create a key (answers its secret once)' },
  { method: 'GET', path: '/v1/keys', service: 'keys', permission: 'keys:read', summary: 'List keys' },
  { method: 'GET', path: '/v1/keys/:keyId', service: 'keys', permission: 'keys:read', summary: 'Get a key' },
  { method: 'GET', path: '/v1/keys/:keyId/events', service: 'keys', permission: 'keys:read', summary: 'History of a key' },
  { method: 'GET', path: '/v1/keys/:keyId/usage', service: 'keys', permission: 'keys:read', summary: 'Usage of a key: counts by operation and outcome' },
  { method: 'POST', path: '/v1/keys/:keyId/disable', service: 'keys', permission: 'keys:manage', summary: 'Disable a key' },
  { method: 'POST', path: '/v1/keys/:keyId/enable', service: 'keys', permission: 'keys:manage', summary: 'Re-enable a key' },
  { method: 'PUT', path: '/v1/keys/:keyId/expiry', service: 'keys', permission: 'keys:manage', summary: 'Change the expiry of a key' },
  { method: 'PUT', path: '/v1/keys/:keyId/permissions', service: 'keys', permission: 'keys:manage', summary: 'Change the permissions of a key' },
  { method: 'PUT', path: '/v1/keys/:keyId/allowed-ips', service: 'keys', permission: 'keys:manage', summary: 'Change the allowed IP addresses of a key' },
  { method: 'PUT', path: '/v1/keys/:keyId/allowed-origins', service: 'keys', permission: 'keys:manage', summary: 'Change the web origins a key may be used from' },
  { method: 'PUT', path: '/v1/keys/:keyId/rate-limit', service: 'keys', permission: 'keys:manage', summary: 'Change the rate limit of a key' },
  { method: 'POST', path: '/v1/keys/:keyId/rotate', service: 'keys', permission: 'keys:manage', summary: 'Rotate a key (answers the new secret once)' },
  { method: 'POST', path: '/v1/keys/:keyId/revoke', service: 'keys', permission: 'keys:manage', summary: 'Revoke a key' },

  { method: 'POST', path: '/v1/sessions', service: 'sessions', permission: 'sessions:create', summary: 'Create a new session' },
  { method: 'GET', path: '/v1/sessions/history', service: 'sessions', permission: 'sessions:history:read', summary: 'Get session history' },
  { method: 'GET', path: '/v1/sessions/:sessionId', service: 'sessions', permission: 'sessions:read', summary: 'Get a session' },
  { method: 'POST', path: '/v1/sessions/:sessionId/start', service: 'sessions', permission: 'sessions:write', summary: 'Start a session (a technician joins)' },
  { method: 'POST', path: '/v1/sessions/:sessionId/end', service: 'sessions', permission: 'sessions:write', summary: 'End a session' },

  { method: 'POST', path: '/v1/tickets', service: 'tickets', permission: 'tickets:create', summary: 'Create a new deferred support request' },
  { method: 'GET', path: '/v1/tickets', service: 'tickets', permission: 'tickets:read', summary: 'List tickets' },
  { method: 'GET', path: '/v1/tickets/:ticketId', service: 'tickets', permission: 'tickets:read', summary: 'Get a ticket' },
  { method: 'POST', path: '/v1/tickets/:ticketId/assign', service: 'tickets', permission: 'tickets:write', summary: 'Assign a ticket to a technician' },
  { method: 'POST', path: '/v1/tickets/:ticketId/close', service: 'tickets', permission: 'tickets:write', summary: 'Close a ticket' },

  { method: 'POST', path: '/v1/technicians', service: 'technicians', permission: 'technicians:write', summary: 'Register a technician' },
  { method: 'GET', path: '/v1/technicians', service: 'technicians', permission: 'technicians:read', summary: 'List technicians' },
  { method: 'GET', path: '/v1/technicians/:technicianId', service: 'technicians', permission: 'technicians:read', summary: 'Get a technician' },
  { method: 'PATCH', path: '/v1/technicians/:technicianId', service: 'technicians', permission: 'technicians:write', summary: 'Update a technician' },
  { method: 'POST', path: '/v1/technicians/:technicianId/deactivate', service: 'technicians', permission: 'technicians:write', summary: 'Deactivate a technician' },

  { method: 'POST', path: '/v1/devices', service: 'devices', permission: 'devices:write', summary: 'Register a device' },
  { method: 'GET', path: '/v1/devices', service: 'devices', permission: 'devices:read', summary: 'List devices' },
  { method: 'GET', path: '/v1/devices/:deviceId', service: 'devices', permission: 'devices:read', summary: 'Get a device' },
  { method: 'PATCH', path: '/v1/devices/:deviceId', service: 'devices', permission: 'devices:write', summary: 'Update a device' },
  { method: 'DELETE', path: '/v1/devices/:deviceId', service: 'devices', permission: 'devices:write', summary: 'Remove a device' },
];
