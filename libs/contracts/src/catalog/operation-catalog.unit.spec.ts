import {
  ALL_PERMISSIONS,
  isPermission,
  isPublicSafe,
  knownPermissions,
  OPERATION_CATALOG,
  PUBLIC_SAFE_PERMISSIONS,
} from './operation-catalog';

describe('operation catalog', () => {
  it('lets a public key hold exactly sessions:create and tickets:create, as the seed says', () => {
    expect([...PUBLIC_SAFE_PERMISSIONS].sort()).toEqual(['sessions:create', 'tickets:create']);
    expect(ALL_PERMISSIONS.filter((p) => isPublicSafe(p)).sort()).toEqual(['sessions:create', 'tickets:create']);
  });

  it('keeps session history, technicians, devices and key management private', () => {
    for (const p of ['sessions:history:read', 'technicians:read', 'technicians:write', 'devices:read', 'devices:write', 'keys:read', 'keys:manage'] as const) {
      expect(isPublicSafe(p)).toBe(false);
    }
  });

  it('holds every permission of the design table', () => {
    expect(ALL_PERMISSIONS).toEqual(
      expect.arrayContaining([
        'sessions:create', 'sessions:history:read', 'sessions:read', 'sessions:write',
        'tickets:create', 'tickets:read', 'tickets:write',
        'technicians:read', 'technicians:write', 'devices:read', 'devices:write',
        'keys:read', 'keys:manage',
      ]),
    );
  });

  it('holds no operator power: /admin and /metrics take the platform operator token, which no key can hold', () => {
    expect(isPermission('projections:operate')).toBe(false);
    expect(ALL_PERMISSIONS.filter((p) => !/^(sessions|tickets|technicians|devices|keys):/.test(p))).toEqual([]);
    expect(knownPermissions(['keys:read', 'projections:operate', 'devices:read'])).toEqual(['keys:read', 'devices:read']);
  });

  it('recognises catalog permissions and nothing else', () => {
    expect(isPermission('sessions:create')).toBe(true);
    expect(isPermission('sessions:delete')).toBe(false);
    expect(isPermission('toString')).toBe(false);
    expect(isPermission('__proto__')).toBe(false);
    expect(isPermission(42)).toBe(false);
    expect(isPermission(undefined)).toBe(false);
  });

  it('names each permission after its api', () => {
    for (const p of ALL_PERMISSIONS) {
      expect(OPERATION_CATALOG[p].description.length).toBeGreaterThan(0);
      expect(p.startsWith('projections:') || p.startsWith(`${OPERATION_CATALOG[p].api}:`)).toBe(true);
    }
  });
});
