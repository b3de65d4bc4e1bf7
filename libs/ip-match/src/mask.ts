/** A 32-bit mask with the top `bits` bits set; `bits` is clamped to 0..32. */
export function mask32(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  // `<< 32` is a no-op in JavaScript, hence the two guards above.
  return (0xffffffff << (32 - bits)) >>> 0;
}
