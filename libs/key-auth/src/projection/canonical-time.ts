/**
 * Whether `text` is exactly what `new Date(ms).toISOString()` gives for `ms = Date.parse(text)`,
 * without building that string: a key index loads a million views at a restart, and formatting two
 * dates per key was a quarter of the load. Canonical means the fixed 24-character form with every
 * field in range; V8's Date.parse already refuses minutes or seconds past 59 but rolls a day past
 * the month's end (or hour 24) over, so those are checked here.
 */
export function isCanonicalIsoTime(text: string, ms: number): boolean {
  if (!Number.isFinite(ms) || text.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = text.charCodeAt(i);
    const expected = SEPARATORS[i];
    if (expected !== undefined ? c !== expected : c < 48 || c > 57) return false;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23;
}

/** The character codes of `YYYY-MM-DDTHH:mm:ss.sssZ` that are not digits, by position. */
const SEPARATORS: readonly (number | undefined)[] = (() => {
  const pattern = 'dddd-dd-ddTdd:dd:dd.dddZ';
  return [...pattern].map((ch) => (ch === 'd' ? undefined : ch.charCodeAt(0)));
})();

function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
