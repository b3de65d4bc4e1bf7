/** Request headers as Node gives them (names in lower case); `IncomingHttpHeaders` fits. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

const SPACE = 32;
const TAB = 9;
// 'bearer', compared case-insensitively by OR-ing 0x20 into each letter's code.
const BEARER = 'bearer';

/**
 * The presented API key: from `Authorization: Bearer <key>` (scheme in any case), else from
 * `X-API-Key`. Undefined when neither holds one, including for another scheme such as Basic.
 * Whatever is found is returned as-is apart from surrounding blanks; judging it is `authorize`'s.
 */
export function extractToken(headers: RequestHeaders): string | undefined {
  const fromAuthorization = bearerToken(single(headers['authorization']));
  if (fromAuthorization !== undefined) return fromAuthorization;
  const apiKey = single(headers['x-api-key']);
  if (apiKey === undefined) return undefined;
  const trimmed = apiKey.trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

/** Repeated headers reach here as an array only via `headersDistinct`; joined, as Node would, two keys read as no valid key. */
function single(value: string | string[] | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 1 ? value[0] : value.join(', ');
}

function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let i = 0;
  const end = value.length;
  while (i < end && isBlank(value.charCodeAt(i))) i++;
  if (end - i <= BEARER.length) return undefined;
  for (let k = 0; k < BEARER.length; k++) {
    if ((value.charCodeAt(i + k) | 0x20) !== BEARER.charCodeAt(k)) return undefined;
  }
  i += BEARER.length;
  if (!isBlank(value.charCodeAt(i))) return undefined;
  while (i < end && isBlank(value.charCodeAt(i))) i++;
  let stop = end;
  while (stop > i && isBlank(value.charCodeAt(stop - 1))) stop--;
  return stop > i ? value.slice(i, stop) : undefined;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}
