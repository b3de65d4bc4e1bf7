import type { ViewFilter } from './view-store';

/**
 * A list route's conditions, one per query parameter: each is a filter, or undefined when the
 * client left that parameter out (no condition). `accountFilter` joins them under the account.
 */
export type ListCondition = ViewFilter | undefined;

/** Regex metacharacters escaped, so a client's search text is matched as literal text. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Views whose `fields` contain `text` (trimmed) as a case-insensitive literal substring, for a
 * list query's `q`; undefined when there is no text to search for (no filter).
 */
export function containsText(fields: readonly string[], text: string | undefined): ListCondition {
  const q = text?.trim();
  if (!q) return undefined;
  const pattern = { $regex: literalPattern(q), $options: 'i' };
  return { $or: fields.map((field) => ({ [field]: pattern })) };
}

/** Views whose `field` equals `value`; no condition when the parameter was not given. */
export function fieldIs(field: string, value: string | undefined): ListCondition {
  return value === undefined ? undefined : { [field]: value };
}

/** Views whose `field` (an ISO-8601 UTC string) lies within the inclusive bounds given, if any. */
export function fieldWithin(field: string, from: string | undefined, to: string | undefined): ListCondition {
  if (from === undefined && to === undefined) return undefined;
  return { [field]: { ...(from !== undefined ? { $gte: from } : {}), ...(to !== undefined ? { $lte: to } : {}) } };
}

/** The account's views that meet every condition given (the account always comes first: no list crosses it). */
export function accountFilter(accountId: string, conditions: readonly ListCondition[]): ViewFilter {
  const and: ViewFilter[] = [{ accountId }];
  for (const condition of conditions) if (condition !== undefined) and.push(condition);
  return and.length === 1 ? { accountId } : { $and: and };
}
