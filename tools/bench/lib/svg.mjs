// Charts as plain SVG strings (no chart library): grouped horizontal bars, and percentile curves.

const COLORS = ['#2563eb', '#9ca3af', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Legend items left to right, wrapping before maxX; returns the SVG and the rows it took. */
function legend(series, x, y, maxX) {
  let cx = x;
  let row = 0;
  const parts = series.map((s, i) => {
    const w = 30 + 6.6 * String(s.name).length;
    if (cx + w > maxX && cx > x) {
      cx = x;
      row++;
    }
    const ly = y + row * 18;
    const out = `<rect x="${cx}" y="${ly - 10}" width="12" height="12" fill="${s.color ?? COLORS[i % COLORS.length]}"/>` +
      `<text x="${cx + 18}" y="${ly}" font-size="12" ${FONT}>${esc(s.name)}</text>`;
    cx += w;
    return out;
  });
  return { svg: parts.join(''), rows: row + 1 };
}

/**
 * Grouped horizontal bars: one group per category, one bar per series.
 * { title, unit, categories: string[], series: [{ name, values: number[] }], format?: (v) => string }
 */
export function barChart({ title, unit = '', categories, series, format = (v) => v.toLocaleString('en-US', { maximumFractionDigits: 1 }) }) {
  const labelW = 230;
  const plotW = 430;
  const barH = 14;
  const groupGap = 12;
  const width = labelW + plotW + 140;
  const leg = legend(series, labelW, 44, width - 10);
  const top = 56 + (leg.rows - 1) * 18;
  const groupH = series.length * barH + groupGap;
  const height = top + categories.length * groupH + 40;
  const max = niceMax(Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite)), 0));
  const x = (v) => labelW + (plotW * Math.max(0, v)) / max;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" ${FONT}>${esc(title)}</text>`,
    leg.svg,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const gx = x(v);
    parts.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 34}" stroke="#e5e7eb"/>`,
      `<text x="${gx}" y="${height - 20}" font-size="10" text-anchor="middle" fill="#6b7280" ${FONT}>${esc(format(v))}</text>`);
  }
  parts.push(`<text x="${labelW + plotW / 2}" y="${height - 6}" font-size="11" text-anchor="middle" fill="#374151" ${FONT}>${esc(unit)}</text>`);
  categories.forEach((c, ci) => {
    const gy = top + ci * groupH;
    parts.push(`<text x="${labelW - 8}" y="${gy + (series.length * barH) / 2 + 4}" font-size="12" text-anchor="end" ${FONT}>${esc(c)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[ci];
      const y = gy + si * barH;
      const color = s.color ?? COLORS[si % COLORS.length];
      if (!Number.isFinite(v)) return;
      parts.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, x(v) - labelW)}" height="${barH - 2}" fill="${color}"/>`,
        `<text x="${x(v) + 4}" y="${y + barH - 4}" font-size="10" fill="#111827" ${FONT}>${esc(format(v))}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Percentile curves: x = percentile (p0 ... max, evenly spaced), y = value.
 * { title, unit, series: [{ name, points: [[percentile, value], ...] }] }
 */
export function percentileChart({ title, unit = '', series, format = (v) => v.toLocaleString('en-US', { maximumFractionDigits: 2 }) }) {
  const left = 70;
  const plotW = 560;
  const plotH = 260;
  const width = left + plotW + 40;
  const leg = legend(series, left, 44, width - 10);
  const top = 56 + (leg.rows - 1) * 18;
  const height = top + plotH + 50;
  const ticks = series[0]?.points.map(([p]) => p) ?? [];
  const max = niceMax(Math.max(...series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite), 0));
  const x = (i) => left + (ticks.length <= 1 ? 0 : (plotW * i) / (ticks.length - 1));
  const y = (v) => top + plotH - (plotH * Math.max(0, v)) / max;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" ${FONT}>${esc(title)}</text>`,
    leg.svg,
  ];
  for (let t = 0; t <= 5; t++) {
    const v = (max * t) / 5;
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="#6b7280" ${FONT}>${esc(format(v))}</text>`);
  }
  ticks.forEach((p, i) => {
    const label = p === 0 ? 'min' : p === 100 ? 'max' : `p${p}`;
    parts.push(`<text x="${x(i)}" y="${top + plotH + 16}" font-size="10" text-anchor="middle" fill="#6b7280" ${FONT}>${label}</text>`);
  });
  parts.push(`<text x="14" y="${top + plotH / 2}" font-size="11" fill="#374151" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" ${FONT}>${esc(unit)}</text>`);
  series.forEach((s, si) => {
    const color = s.color ?? COLORS[si % COLORS.length];
    const pts = s.points.map(([, v], i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    s.points.forEach(([, v], i) => parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}: ${format(v)} ${unit}`)}</title></circle>`));
  });
  parts.push('</svg>');
  return parts.join('\n');
}
