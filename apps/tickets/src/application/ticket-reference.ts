import { randomInt } from 'node:crypto';

const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A short human reference for a ticket (`TKT-7K3Q9P`), to read out on the phone: 6 characters of
 * Crockford's base32, about 10^9 values. It is not an identifier (the id is): two tickets may,
 * rarely, share one, and nothing looks a ticket up by it alone (the list filter also scopes by account).
 */
export function newTicketReference(): string {
  let code = '';
  for (let i = 0; i < 6; i++) code += CROCKFORD_BASE32[randomInt(32)];
  return `TKT-${code}`;
}
