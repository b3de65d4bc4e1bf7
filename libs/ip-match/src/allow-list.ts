import type { Ipv6Words } from './ipv6';
import { parseAddress } from './address';
import type { IpRule } from './ip-rule';
import { compileRule } from './ip-rule';

/** A precompiled allow-list; built once when a key's allowedIps change, used on every request. */
export interface IpAllowList {
  /** True for an empty list: every address, even an unparseable or missing one, is allowed. */
  readonly any: boolean;
  /** The valid rules, canonicalised. */
  readonly rules: readonly IpRule[];
  /** Entries that did not parse; they match nothing (so a list of only bad entries allows nothing). */
  readonly rejected: readonly string[];
  /** Whether a client address (as Node or X-Forwarded-For gives it) is on the list. */
  allows(address: string): boolean;
  /** `allows` on `text[start, end)`, so a caller scanning a header need not cut a substring. */
  allowsRange(text: string, start: number, end: number): boolean;
}

interface V4Match {
  readonly network: number;
  readonly mask: number;
}

interface V6Match {
  readonly n0: number;
  readonly n1: number;
  readonly n2: number;
  readonly n3: number;
  readonly m0: number;
  readonly m1: number;
  readonly m2: number;
  readonly m3: number;
}

// Scratch for the address under test; see ipv6.ts on why module-level scratch is safe.
const scratch: Ipv6Words = { w0: 0, w1: 0, w2: 0, w3: 0 };

class CompiledAllowList implements IpAllowList {
  constructor(
    readonly any: boolean,
    readonly rules: readonly IpRule[],
    readonly rejected: readonly string[],
    private readonly v4: readonly V4Match[],
    private readonly v6: readonly V6Match[],
  ) {}

  allows(address: string): boolean {
    return this.allowsRange(address, 0, address.length);
  }

  allowsRange(text: string, start: number, end: number): boolean {
    if (this.any) return true;
    const family = parseAddress(text, start, end, scratch);
    if (family === 0) return false;
    if (family === 4) {
      const a = scratch.w3;
      for (const r of this.v4) {
        if (((a & r.mask) >>> 0) === r.network) return true;
      }
    }
    // IPv4 addresses are tested here too, in mapped form, so a wide IPv6 rule that contains
    // ::ffff:0:0/96 (such as ::/0) covers them exactly as it covers their mapped spelling.
    const { w0, w1, w2, w3 } = scratch;
    for (const r of this.v6) {
      if (
        ((w0 & r.m0) >>> 0) === r.n0 &&
        ((w1 & r.m1) >>> 0) === r.n1 &&
        ((w2 & r.m2) >>> 0) === r.n2 &&
        ((w3 & r.m3) >>> 0) === r.n3
      ) {
        return true;
      }
    }
    return false;
  }
}

/**
 * Compiles allowed-IP entries once. An empty list allows any address. Malformed entries are
 * skipped and listed in `rejected` rather than thrown: the list usually comes from a stored
 * event, and failing closed on that entry beats refusing to load the key.
 */
export function compileAllowList(entries: readonly string[]): IpAllowList {
  const rules: IpRule[] = [];
  const rejected: string[] = [];
  const v4: V4Match[] = [];
  const v6: V6Match[] = [];
  for (const entry of entries) {
    const compiled = compileRule(entry);
    if (compiled === undefined) {
      rejected.push(entry);
      continue;
    }
    rules.push(compiled.rule);
    const { network: n, mask: m } = compiled;
    if (compiled.rule.family === 4) v4.push({ network: n.w3, mask: m.w3 });
    else v6.push({ n0: n.w0, n1: n.w1, n2: n.w2, n3: n.w3, m0: m.w0, m1: m.w1, m2: m.w2, m3: m.w3 });
  }
  return new CompiledAllowList(entries.length === 0, rules, rejected, v4, v6);
}

/** A list that allows nothing: unlike `compileAllowList([])`, which allows everything. */
export const NO_ADDRESSES: IpAllowList = new CompiledAllowList(false, [], [], [], []);
