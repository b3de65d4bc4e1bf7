/**
 * The one rule for what a request path may look like, shared by the edge and every service, so
 * both decide the same way which operation a path names (the edge authorizes a route, the
 * service must serve exactly that route). Instead of normalizing (which two parsers can do
 * differently), a path that is not already canonical is refused (404):
 * - it starts with `/` and has no empty segment: no `//`, no trailing `/` (except `/` itself);
 * - no `.` or `..` segment;
 * - no percent-encoding and no backslash at all: ids and route literals never need them, and an
 *   encoded `/`, `.` or `\` is how paths are made to mean one thing to one parser and another to
 *   the next;
 * - literal segments are compared case-sensitively by the route table (`/V1/keys` is unknown).
 * Only the path is checked; the query string is the handler's.
 */
export function isCanonicalPath(path: string): boolean {
  const n = path.length;
  if (n === 0 || path.charCodeAt(0) !== SLASH) return false;
  if (n === 1) return true;
  if (path.charCodeAt(n - 1) === SLASH) return false;
  let segmentStart = 1;
  for (let i = 1; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const len = i - segmentStart;
      if (len === 0) return false;
      if (path.charCodeAt(segmentStart) === DOT && (len === 1 || (len === 2 && path.charCodeAt(segmentStart + 1) === DOT))) return false;
      segmentStart = i + 1;
    } else if (c === PERCENT || c === BACKSLASH || c <= 0x20 || c >= 0x7f) {
      return false;
    }
  }
  return true;
}

/** The path of a request target (`/v1/keys?limit=1` → `/v1/keys`), without allocating when there is no query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const BACKSLASH = 92;
