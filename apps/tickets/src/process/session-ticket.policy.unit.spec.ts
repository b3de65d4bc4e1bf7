import type { SessionMirrorView } from '../mirrors/session.mirror';
import { ticketCommandFor, ticketIsBehind } from './session-ticket.policy';

const base: SessionMirrorView = {
  id: 'ses_1', accountId: 'acc_01', ticketId: 'tkt_1', status: 'waiting', outcome: null, endedBy: null, lastEventId: 'evt_1', version: 1,
};

describe('session → ticket policy', () => {
  it('means nothing for a session not opened from a ticket', () => {
    expect(ticketCommandFor({ ...base, ticketId: null })).toBeUndefined();
  });

  it('puts the ticket in progress while the session waits or runs', () => {
    for (const status of ['waiting', 'active'] as const) {
      expect(ticketCommandFor({ ...base, status })).toEqual({
        ticketId: 'tkt_1', accountId: 'acc_01', command: { type: 'MarkTicketInProgress', data: { sessionId: 'ses_1' } },
      });
    }
  });

  it('closes the ticket when the session ends, with the outcome, the session and who ended it', () => {
    expect(ticketCommandFor({ ...base, status: 'ended', outcome: 'resolved', endedBy: 'key_tech' })).toEqual({
      ticketId: 'tkt_1', accountId: 'acc_01',
      command: { type: 'CloseTicket', data: { by: 'key_tech', resolution: 'session ended: resolved', sessionId: 'ses_1' } },
    });
  });

  it('finds a ticket behind only when the session would still move it', () => {
    expect(ticketIsBehind(base, { status: 'open' })).toBe(true);
    expect(ticketIsBehind(base, { status: 'assigned' })).toBe(true);
    expect(ticketIsBehind(base, { status: 'in_progress' })).toBe(false);
    expect(ticketIsBehind({ ...base, status: 'ended' }, { status: 'in_progress' })).toBe(true);
    expect(ticketIsBehind({ ...base, status: 'ended' }, { status: 'closed' })).toBe(false);
    expect(ticketIsBehind(base, { status: 'closed' })).toBe(false);
  });
});
