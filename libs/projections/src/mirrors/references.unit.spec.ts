import { ProblemError } from '@keyward/problem';
import type { MirrorView } from '../entity-mirror';
import { EntityMirror } from '../entity-mirror';
import type { MirrorLookup } from './references';
import { deviceRef, referenceIn, technicianRef } from './references';
import type { DeviceMirrorView } from './device.mirror';
import { evolveDeviceMirror } from './device.mirror';
import type { TechnicianMirrorView } from './technician.mirror';
import { evolveTechnicianMirror } from './technician.mirror';

function lookup<V extends MirrorView>(index: EntityMirror<V>, available = true): MirrorLookup<V> {
  return { index, available: () => (available ? { ok: true } : { ok: false, reason: 'still loading' }) };
}

function technicians(): EntityMirror<TechnicianMirrorView> {
  const m = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
  m.apply({ id: 'evt_1', type: 'TechnicianRegistered', schemaVersion: 1, aggregateId: 'tech_0001', accountId: 'acc_a', version: 1, occurredAt: '2026-06-15T10:00:00.000Z', data: { name: 'T', email: 't@x.io', by: 'k' } });
  m.apply({ id: 'evt_2', type: 'TechnicianDeactivated', schemaVersion: 1, aggregateId: 'tech_0001', accountId: 'acc_a', version: 2, occurredAt: '2026-06-15T10:00:00.000Z', data: { by: 'k' } });
  return m;
}

describe('references looked up in a mirror', () => {
  it('answers the reference as a command carries it, and null for an unknown or another account\'s entity', () => {
    const mirror = lookup(technicians());
    expect(technicianRef(mirror, 'acc_a', 'tech_0001')).toEqual({ id: 'tech_0001', active: false });
    expect(technicianRef(mirror, 'acc_b', 'tech_0001')).toBeNull();
    expect(technicianRef(mirror, 'acc_a', 'tech_0002')).toBeNull();
  });

  it('refuses with 503 references_unavailable while the mirror catches up', () => {
    const mirror = lookup(new EntityMirror<DeviceMirrorView>(evolveDeviceMirror), false);
    let thrown: unknown;
    try { deviceRef(mirror, 'acc_a', 'dev_0001'); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect(thrown).toMatchObject({ status: 503, code: 'references_unavailable' });
  });

  it('looks nothing up without an id, whatever the mirror\'s state', () => {
    const mirror = lookup(technicians(), false);
    expect(referenceIn(mirror, 'acc_a', null, (t) => t.id)).toBeNull();
    expect(deviceRef(lookup(new EntityMirror<DeviceMirrorView>(evolveDeviceMirror), false), 'acc_a', null)).toBeNull();
  });
});
