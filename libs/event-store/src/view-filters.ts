import type { ViewFilter } from './view-store';

/** Regex metacharacters escaped, so a client's search text is matched as literal text. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Views whose `fields` contain `text` (trimmed) as a case-insensitive literal substring, for a
 * list query's `q`; undefined when there is no text to search for (no filter).
 */
export function containsText(fields: readonly string[], text: string | undefined): ViewFilter | undefined {
  const q = text?.trim();
  if (!q) return undefined;
  const pattern = { $regex: literalPattern(q), $options: 'i' };
  return { $or: fields.map((field) => ({ [field]: pattern })) };
}
