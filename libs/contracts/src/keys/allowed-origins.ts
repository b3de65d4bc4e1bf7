/**
 * The web origins a key may be used from (browser use of public keys). An entry is an exact
 * origin (`https://shop.example.com`, `http://127.0.0.1:8080`) or a wildcard over one domain's
 * subdomains (`https://*.example.com`, any depth, not the domain itself). Entries are kept in the
 * form a browser writes its `Origin` header (RFC 6454 serialisation: lowercase scheme and host,
 * punycode, no default port), so matching is a plain string comparison.
 */
export const ALLOWED_ORIGINS_MAX = 100;
const ENTRY_MAX_LENGTH = 300;
const WILDCARD_LABEL = 'keyward-wildcard-label';
/** What may stand where a wildcard's `*` is: one or more DNS labels. */
const SUBDOMAINS = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

export interface OriginRule {
  /** The canonical text, as stored in events and shown in views. */
  readonly text: string;
  /** For an exact origin, the origin; for a wildcard, the scheme and `://`. */
  readonly prefix: string;
  /** Empty for an exact origin; for a wildcard, `.example.com` and the port, if any (`.example.com:8443`). */
  readonly suffix: string;
  readonly wildcard: boolean;
}

/** An allowed-origin entry in canonical form, or undefined when it is not one. */
export function parseOriginRule(entry: string): OriginRule | undefined {
  if (entry.length === 0 || entry.length > ENTRY_MAX_LENGTH) return undefined;
  // Scheme and authority only: a path, query, fragment or credentials are not part of an origin.
  const m = /^(https?):\/\/(\*\.)?([^/?#@\\\s*]+)$/i.exec(entry);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  const wildcard = m[2] !== undefined;
  let url: URL;
  try {
    url = new URL(`${scheme}://${wildcard ? `${WILDCARD_LABEL}.` : ''}${m[3] ?? ''}`);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  if (!wildcard) return { text: url.origin, prefix: url.origin, suffix: '', wildcard: false };
  const host = url.hostname;
  if (!host.startsWith(`${WILDCARD_LABEL}.`)) return undefined;
  const domain = host.slice(WILDCARD_LABEL.length + 1);
  // `https://*.com` would open a key to every site of a top-level domain: at least two labels.
  if (!SUBDOMAINS.test(domain) || !domain.includes('.') || /^[0-9.]+$/.test(domain)) return undefined;
  const port = url.port === '' ? '' : `:${url.port}`;
  return { text: `${scheme}://*.${domain}${port}`, prefix: `${scheme}://`, suffix: `.${domain}${port}`, wildcard: true };
}

/** A compiled list of allowed origins; `any` when the list is empty (the key is not restricted). */
export interface OriginAllowList {
  readonly any: boolean;
  allows(origin: string): boolean;
}

/** Compiles canonical entries (as `parseOriginRule` gives them); entries that do not parse allow nothing. */
export function compileOriginList(entries: readonly string[]): OriginAllowList {
  if (entries.length === 0) return { any: true, allows: () => true };
  const exact = new Set<string>();
  const wildcards: OriginRule[] = [];
  for (const entry of entries) {
    const rule = parseOriginRule(entry);
    if (rule === undefined) continue;
    if (rule.wildcard) wildcards.push(rule);
    else exact.add(rule.text);
  }
  // On every request of a restricted key: a Set lookup, then a suffix test per wildcard; no regex,
  // no allocation (the bench holds it to a fraction of the whole check).
  return {
    any: false,
    allows: (origin) => {
      if (exact.has(origin)) return true;
      for (let i = 0; i < wildcards.length; i++) {
        const w = wildcards[i] as OriginRule;
        if (origin.length > w.prefix.length + w.suffix.length && origin.endsWith(w.suffix) && origin.startsWith(w.prefix) &&
          isSubdomainPart(origin, w.prefix.length, origin.length - w.suffix.length)) return true;
      }
      return false;
    },
  };
}

/** Whether origin[from, to) is one or more DNS labels (lowercase letters, digits, inner hyphens), as SUBDOMAINS says. */
function isSubdomainPart(origin: string, from: number, to: number): boolean {
  let labelStart = from;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 46 : origin.charCodeAt(i);
    if (c === 46) {
      // '.': the label just ended must be non-empty and neither start nor end with '-'.
      if (i === labelStart || origin.charCodeAt(labelStart) === 45 || origin.charCodeAt(i - 1) === 45) return false;
      labelStart = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) {
      return false;
    }
  }
  return true;
}
