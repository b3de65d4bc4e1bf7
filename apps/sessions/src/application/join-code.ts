import { randomInt } from 'node:crypto';

/** A 6-digit join code, grouped for reading aloud: `482-913`. */
export function newJoinCode(): string {
  const digits = String(randomInt(1_000_000)).padStart(6, '0');
  return `${digits.slice(0, 3)}-${digits.slice(3)}`;
}
