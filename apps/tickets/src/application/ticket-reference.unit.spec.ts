import { TICKET_REFERENCE_PATTERN } from '../domain';
import { newTicketReference } from './ticket-reference';

describe('ticket reference', () => {
  it('is TKT- and 6 characters of Crockford base32, and varies', () => {
    const refs = Array.from({ length: 200 }, () => newTicketReference());
    for (const r of refs) expect(r).toMatch(TICKET_REFERENCE_PATTERN);
    expect(new Set(refs).size).toBeGreaterThan(190);
  });
});
