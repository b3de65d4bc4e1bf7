import type { EventEnvelope } from '@keyward/contracts';
import { EntityMirror } from '@keyward/projections';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import type { TechnicianMirrorView } from '@keyward/projections';
import { evolveTechnicianMirror } from '@keyward/projections';

function event(type: string, aggregateId: string, version: number, data: Record<string, unknown>, accountId = 'acc_01'): EventEnvelope {
  return { id: `evt_${aggregateId}_${version}`, type, schemaVersion: 1, aggregateId, accountId, version, occurredAt: '2026-06-15T10:00:00.000Z', data };
}

describe('technicians mirror', () => {
  it('knows a registered technician as active, and a deactivated one as inactive', () => {
    const mirror = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    mirror.apply(event('TechnicianRegistered', 'tech_1', 1, { name: 'T', email: 't@x.io', by: 'k' }));
    expect(mirror.find('acc_01', 'tech_1')).toEqual({ id: 'tech_1', accountId: 'acc_01', active: true, version: 1 });
    mirror.apply(event('TechnicianUpdated', 'tech_1', 2, { name: 'U', by: 'k' }));
    mirror.apply(event('TechnicianDeactivated', 'tech_1', 3, { by: 'k' }));
    expect(mirror.find('acc_01', 'tech_1')).toEqual({ id: 'tech_1', accountId: 'acc_01', active: false, version: 3 });
  });

  it('keeps a deactivation of a technician it never saw registered, and then ignores the late registration', () => {
    const mirror = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    expect(mirror.apply(event('TechnicianDeactivated', 'tech_2', 2, { by: 'k' }))).toBe('gap');
    expect(mirror.find('acc_01', 'tech_2')).toMatchObject({ active: false });
    expect(mirror.apply(event('TechnicianRegistered', 'tech_2', 1, { name: 'T', email: 't@x.io', by: 'k' }))).toBe('duplicate');
    expect(mirror.find('acc_01', 'tech_2')).toMatchObject({ active: false });
  });

  it('does not invent a technician from an update alone', () => {
    const mirror = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    mirror.apply(event('TechnicianUpdated', 'tech_3', 2, { name: 'U', by: 'k' }));
    expect(mirror.get('tech_3')).toBeUndefined();
  });

  it('hides another account\'s technician', () => {
    const mirror = new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror);
    mirror.apply(event('TechnicianRegistered', 'tech_4', 1, { name: 'T', email: 't@x.io', by: 'k' }, 'acc_02'));
    expect(mirror.find('acc_01', 'tech_4')).toBeUndefined();
  });
});

describe('sessions mirror', () => {
  it('follows a session opened from a ticket to its end', () => {
    const mirror = new EntityMirror<SessionMirrorView>(evolveSessionMirror);
    mirror.apply(event('SessionCreated', 'ses_1', 1, { code: '123-456', deviceId: null, ticketId: 'tkt_1', by: 'key_pub' }));
    expect(mirror.get('ses_1')).toMatchObject({ ticketId: 'tkt_1', status: 'waiting', outcome: null, endedBy: null, lastEventId: 'evt_ses_1_1' });
    mirror.apply(event('SessionStarted', 'ses_1', 2, { technicianId: 'tech_1', by: 'key_a' }));
    expect(mirror.get('ses_1')).toMatchObject({ status: 'active' });
    mirror.apply(event('SessionEnded', 'ses_1', 3, { outcome: 'resolved', notes: null, by: 'key_b' }));
    expect(mirror.get('ses_1')).toEqual({
      id: 'ses_1', accountId: 'acc_01', ticketId: 'tkt_1', status: 'ended', outcome: 'resolved', endedBy: 'key_b', lastEventId: 'evt_ses_1_3', version: 3,
    });
  });

  it('records nothing for the end of a session whose creation it never saw (it cannot know the ticket)', () => {
    const mirror = new EntityMirror<SessionMirrorView>(evolveSessionMirror);
    expect(mirror.apply(event('SessionEnded', 'ses_2', 3, { outcome: 'resolved', notes: null, by: 'k' }))).toBe('gap');
    expect(mirror.get('ses_2')).toBeUndefined();
  });

  it('reads a malformed ticketId as none rather than failing', () => {
    const mirror = new EntityMirror<SessionMirrorView>(evolveSessionMirror);
    mirror.apply(event('SessionCreated', 'ses_3', 1, { code: '123-456', ticketId: 42 }));
    expect(mirror.get('ses_3')).toMatchObject({ ticketId: null });
  });
});
