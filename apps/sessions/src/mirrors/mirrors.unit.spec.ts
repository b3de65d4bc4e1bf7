import type { EventEnvelope } from '@keyward/contracts';
import type { DeviceMirrorView, TechnicianMirrorView } from '@keyward/projections';
import { EntityMirror, evolveDeviceMirror, evolveTechnicianMirror } from '@keyward/projections';
import type { TicketMirrorView } from './ticket.mirror';
import { evolveTicketMirror } from './ticket.mirror';

function event(type: string, aggregateId: string, version: number, data: Record<string, unknown> = { by: 'k' }, accountId = 'acc_01'): EventEnvelope {
  return { id: `evt_${aggregateId}_${version}`, type, schemaVersion: 1, aggregateId, accountId, version, occurredAt: '2026-06-15T10:00:00.000Z', data };
}

describe('technicians mirror', () => {
  it('follows a technician from registration to deactivation', () => {
    const m = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    m.apply(event('TechnicianRegistered', 'tech_1', 1, { name: 'T', email: 't@x.io', by: 'k' }));
    expect(m.find('acc_01', 'tech_1')).toEqual({ id: 'tech_1', accountId: 'acc_01', active: true, version: 1 });
    m.apply(event('TechnicianUpdated', 'tech_1', 2));
    m.apply(event('TechnicianDeactivated', 'tech_1', 3));
    expect(m.find('acc_01', 'tech_1')).toEqual({ id: 'tech_1', accountId: 'acc_01', active: false, version: 3 });
  });

  it('keeps a deactivation of an unknown technician as inactive, and the late registration cannot undo it', () => {
    const m = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    expect(m.apply(event('TechnicianDeactivated', 'tech_2', 2))).toBe('gap');
    expect(m.apply(event('TechnicianRegistered', 'tech_2', 1, { name: 'T', email: 't@x.io', by: 'k' }))).toBe('duplicate');
    expect(m.get('tech_2')).toMatchObject({ active: false });
  });

  it('does not invent a technician from an update alone', () => {
    const m = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    m.apply(event('TechnicianUpdated', 'tech_3', 2));
    expect(m.get('tech_3')).toBeUndefined();
  });
});

describe('devices mirror', () => {
  it('follows a device from registration to removal', () => {
    const m = new EntityMirror<DeviceMirrorView>(evolveDeviceMirror);
    m.apply(event('DeviceRegistered', 'dev_1', 1, { name: 'pc', os: 'linux', hostname: 'pc', tags: [], ownerTechnicianId: null, by: 'k' }));
    expect(m.find('acc_01', 'dev_1')).toMatchObject({ removed: false });
    m.apply(event('DeviceUpdated', 'dev_1', 2, { name: 'pc2', by: 'k' }));
    expect(m.find('acc_01', 'dev_1')).toMatchObject({ removed: false, version: 2 });
    m.apply(event('DeviceRemoved', 'dev_1', 3));
    expect(m.find('acc_01', 'dev_1')).toMatchObject({ removed: true, version: 3 });
  });

  it('keeps the removal of a device it never saw registered', () => {
    const m = new EntityMirror<DeviceMirrorView>(evolveDeviceMirror);
    m.apply(event('DeviceRemoved', 'dev_2', 4));
    expect(m.find('acc_01', 'dev_2')).toMatchObject({ removed: true });
    m.apply(event('DeviceUpdated', 'dev_3', 2));
    expect(m.get('dev_3')).toBeUndefined();
  });

  it('hides another account\'s device', () => {
    const m = new EntityMirror<DeviceMirrorView>(evolveDeviceMirror);
    m.apply(event('DeviceRegistered', 'dev_4', 1, { by: 'k' }, 'acc_02'));
    expect(m.find('acc_01', 'dev_4')).toBeUndefined();
  });
});

describe('tickets mirror', () => {
  it('follows a ticket through its statuses', () => {
    const m = new EntityMirror<TicketMirrorView>(evolveTicketMirror);
    m.apply(event('TicketCreated', 'tkt_1', 1, { reference: 'TKT-000000', by: 'k' }));
    expect(m.get('tkt_1')).toMatchObject({ status: 'open' });
    m.apply(event('TicketInProgress', 'tkt_1', 2, { sessionId: 'ses_1' }));
    m.apply(event('TicketAssigned', 'tkt_1', 3, { technicianId: 'tech_1', by: 'k' }));
    expect(m.get('tkt_1')).toMatchObject({ status: 'in_progress', version: 3 });
    m.apply(event('TicketClosed', 'tkt_1', 4, { by: 'k', resolution: null, sessionId: null }));
    expect(m.get('tkt_1')).toEqual({ id: 'tkt_1', accountId: 'acc_01', status: 'closed', version: 4 });
  });

  it('keeps the close of a ticket it never saw created, and nothing of other events alone', () => {
    const m = new EntityMirror<TicketMirrorView>(evolveTicketMirror);
    m.apply(event('TicketClosed', 'tkt_2', 3, { by: 'k', resolution: null, sessionId: null }));
    expect(m.get('tkt_2')).toMatchObject({ status: 'closed' });
    m.apply(event('TicketAssigned', 'tkt_3', 2, { technicianId: 'tech_1', by: 'k' }));
    expect(m.get('tkt_3')).toBeUndefined();
  });
});
