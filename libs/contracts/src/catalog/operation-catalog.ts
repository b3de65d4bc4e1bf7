/**
 * The operation catalog: every permission a key can hold, what it allows, and whether a public
 * key (one that may ship inside a client app) may hold it. Every guard of every service checks
 * against this one table.
 */
export const OPERATION_CATALOG = {
  'sessions:create': { api: 'sessions', description: 'Session API: create a new session', publicSafe: true },
  'sessions:history:read': { api: 'sessions', description: 'Session API: get session history', publicSafe: false },
  'sessions:read': { api: 'sessions', description: 'Session API: read sessions', publicSafe: false },
  'sessions:write': { api: 'sessions', description: 'Session API: start and end sessions', publicSafe: false },
  'tickets:create': { api: 'tickets', description: 'Tickets API: create a new deferred support request', publicSafe: true },
  'tickets:read': { api: 'tickets', description: 'Tickets API: read tickets', publicSafe: false },
  'tickets:write': { api: 'tickets', description: 'Tickets API: assign and close tickets', publicSafe: false },
  'technicians:read': { api: 'technicians', description: 'Technician API: read technicians', publicSafe: false },
  'technicians:write': { api: 'technicians', description: 'Technician API: register, update, deactivate', publicSafe: false },
  'devices:read': { api: 'devices', description: 'Device API: read devices', publicSafe: false },
  'devices:write': { api: 'devices', description: 'Device API: register, update, remove', publicSafe: false },
  'keys:read': { api: 'keys', description: 'Key management: list and read keys and their history', publicSafe: false },
  'keys:manage': { api: 'keys', description: 'Key management: create, change, rotate, disable, revoke keys', publicSafe: false },
} as const satisfies Record<string, { api: string; description: string; publicSafe: boolean }>;

export type Permission = keyof typeof OPERATION_CATALOG;

export const ALL_PERMISSIONS = Object.keys(OPERATION_CATALOG) as Permission[];

export const PUBLIC_SAFE_PERMISSIONS = ALL_PERMISSIONS.filter((p) => OPERATION_CATALOG[p].publicSafe);

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(OPERATION_CATALOG, value);
}

export function isPublicSafe(permission: Permission): boolean {
  return OPERATION_CATALOG[permission].publicSafe;
}

/**
 * The catalog permissions of a list read from a stored or published event, in order. Events are
 * never rewritten, so an old one may name a permission the catalog has since retired (such as
 * `projections:operate`, which became the platform's operator token): it is dropped on reading,
 * so it grants nothing and a key holding it is judged by what it still holds.
 */
export function knownPermissions(permissions: readonly unknown[]): Permission[] {
  return permissions.filter(isPermission);
}
