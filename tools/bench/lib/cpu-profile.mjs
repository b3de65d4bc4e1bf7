// Reads a V8 .cpuprofile and says where the time went: the top frames by self time, the share of
// each area (our libs, apps, node_modules packages, node core, GC), and the inclusive time of
// chosen functions (time with the function anywhere on the stack).
import { readFileSync } from 'node:fs';

const IGNORED = new Set(['(root)', '(idle)']);

function frameKey(cf) {
  const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|libs|apps|tools)\//, '$1/') : '';
  return `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
}

function areaOf(cf) {
  const url = cf.url || '';
  let m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return m[1];
  m = /\/libs\/([^/]+)\//.exec(url);
  if (m) return `@keyward/${m[1]}`;
  m = /\/apps\/([^/]+)\//.exec(url);
  if (m) return `apps/${m[1]}`;
  if (url.startsWith('node:')) return 'node core';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : 'native (V8 builtins, C++)';
  return 'other';
}

/** Analyses a profile object (or a file path); `inclusive` names functions to total with their callees. */
export function analyseProfile(profileOrPath, { top = 12, inclusive = [] } = {}) {
  const profile = typeof profileOrPath === 'string' ? JSON.parse(readFileSync(profileOrPath, 'utf8')) : profileOrPath;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  if (profile.samples?.length) for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  else for (const n of profile.nodes) if (n.hitCount) counts.set(n.id, n.hitCount);

  let total = 0;
  let idle = 0;
  const self = new Map();
  const areas = new Map();
  const incl = new Map(inclusive.map((name) => [name, 0]));
  for (const [id, count] of counts) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += count;
      continue;
    }
    if (IGNORED.has(cf.functionName)) continue;
    total += count;
    const key = frameKey(cf);
    self.set(key, (self.get(key) ?? 0) + count);
    const area = areaOf(cf);
    areas.set(area, (areas.get(area) ?? 0) + count);
    if (incl.size > 0) {
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const name = byId.get(cur)?.callFrame.functionName;
        if (name && incl.has(name) && !seen.has(name)) {
          seen.add(name);
          incl.set(name, incl.get(name) + count);
        }
      }
    }
  }
  const pct = (n) => (total === 0 ? 0 : Math.round((1000 * n) / total) / 10);
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    samples: total,
    idleSamples: idle,
    topSelf: sorted(self).slice(0, top).map(([frame, n]) => ({ frame, selfPct: pct(n) })),
    areas: sorted(areas).slice(0, top).map(([area, n]) => ({ area, selfPct: pct(n) })),
    inclusive: [...incl].map(([fn, n]) => ({ function: fn, inclusivePct: pct(n) })),
  };
}

/** The analysis as Markdown lines. */
export function profileMarkdown(title, a) {
  const lines = [`**${title}** (${a.samples} busy samples; % of busy time)`, '', '| top frames by self time | self % |', '|---|---:|'];
  for (const f of a.topSelf) lines.push(`| \`${f.frame.replace(/\|/g, '\\|')}\` | ${f.selfPct} |`);
  lines.push('', '| area | self % |', '|---|---:|');
  for (const x of a.areas) lines.push(`| ${x.area} | ${x.selfPct} |`);
  if (a.inclusive.length) {
    lines.push('', '| function (with callees) | inclusive % |', '|---|---:|');
    for (const x of a.inclusive) lines.push(`| \`${x.function}\` | ${x.inclusivePct} |`);
  }
  return lines;
}
