// Report writers: results/<timestamp>/report.json, report.md (a table per benchmark and SVG
// charts next to it), and the table printed to stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileMarkdown } from './cpu-profile.mjs';

const RATE_UNITS = new Set(['checks/s', 'req/s', 'events/s', 'keys/s', 'appends/s', 'inserts/s', 'msgs/s']);

/** A number in its unit, for people: 1,234,567 checks/s, 412 ns, 3.21 ms, 12.3 s, 1,487 B. */
export function formatValue(value, unit) {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return String(value);
  const n = (digits) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  if (RATE_UNITS.has(unit)) return `${value >= 100 ? n(0) : n(1)} ${unit}`;
  if (unit === 'ns' || unit === 'B' || unit === 'B/key') return `${n(0)} ${unit}`;
  if (unit === 'ms') return `${value >= 100 ? n(0) : value >= 10 ? n(1) : n(2)} ms`;
  if (unit === 's') return `${n(value >= 100 ? 0 : 1)} s`;
  if (unit === '%') return `${n(1)} %`;
  return `${n(2)}${unit ? ` ${unit}` : ''}`;
}

export function formatRatio(r) {
  return r === null || r === undefined || !Number.isFinite(r) ? '—' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

const metText = (met) => (met === true ? 'yes' : met === false ? '**NO**' : '—');

function rows(report) {
  const out = [];
  for (const s of report.benchmarks) {
    if (s.error) {
      out.push([s.name, 'FAILED', s.error.split('\n')[0], '', '', '', '']);
      continue;
    }
    for (const f of s.figures) {
      out.push([s.name, f.label, formatValue(f.value, f.unit), formatValue(f.baseline, f.unit), formatRatio(f.ratio), f.target ?? '—',
        f.met === true ? 'yes' : f.met === false ? 'NO' : '—']);
    }
  }
  return out;
}

/** The table for stdout, in fixed-width columns. */
export function textTable(report) {
  const header = ['bench', 'figure', 'value', 'baseline', 'ratio', 'target', 'met'];
  const all = [header, ...rows(report)];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i >= 2 && i <= 4 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

function markdown(report) {
  const m = report.meta;
  const lines = [
    `# Keyward benchmarks — ${m.date}`,
    '',
    `Command: \`${m.command}\`${m.quick ? ' (quick mode: smaller sizes and shorter runs; figures are indicative)' : ''}  `,
    `Machine: ${m.cpuCount} × ${m.cpuModel}, ${m.totalMemoryGiB} GiB RAM, load average at start ${m.loadAverage.join(' / ')}  `,
    `Versions: Node ${m.node}, Kafka ${m.kafka}, FerretDB ${m.ferretdb}, kafkajs ${m.kafkajs}, OS ${m.os}  `,
    `Infrastructure: ${m.infrastructure}`,
    '',
    'Every figure is compared with a baseline measured in the same run on the same machine (the machine is shared ' +
      'and noisy, so absolute numbers move between runs; the ratio is the figure to read). Ratio = value ÷ baseline. ' +
      'Percentiles are by nearest rank over every sample of the run; rates are the median of several runs.',
    '',
    '## Summary',
    '',
    '| benchmark | figures | targets met | targets missed |',
    '|---|---:|---:|---:|',
  ];
  for (const s of report.benchmarks) {
    const figs = s.figures ?? [];
    lines.push(`| [${s.title}](#${s.name}) | ${figs.length} | ${figs.filter((f) => f.met === true).length} | ${s.error ? 'FAILED' : figs.filter((f) => f.met === false).length} |`);
  }
  for (const s of report.benchmarks) {
    lines.push('', `<a id="${s.name}"></a>`, `## ${s.title}`, '');
    if (s.error) {
      lines.push('**The benchmark failed:**', '', '```', s.error, '```');
      continue;
    }
    if (s.description) lines.push(s.description, '');
    if (s.baseline) lines.push(`**Baseline:** ${s.baseline}`, '');
    lines.push('| figure | value | baseline | ratio | target | met? |', '|---|---:|---:|---:|---|:---:|');
    for (const f of s.figures) {
      lines.push(`| ${f.label} | ${formatValue(f.value, f.unit)} | ${formatValue(f.baseline, f.unit)} | ${formatRatio(f.ratio)} | ${f.target ?? '—'} | ${metText(f.met)} |`);
    }
    for (const c of s.charts ?? []) lines.push('', `![${c.title}](${c.file})`);
    if (s.tables) for (const t of s.tables) lines.push('', ...t);
    if (s.profiles?.length) {
      lines.push('', '### Profile');
      for (const p of s.profiles) lines.push('', ...profileMarkdown(p.title, p.analysis), '', p.reading ? `*Reading:* ${p.reading}` : '');
    }
    if (s.notes?.length) lines.push('', '### Notes', '', ...s.notes.map((n) => `- ${n}`));
  }
  lines.push('');
  return lines.join('\n');
}

/** Writes report.json, report.md and the charts into `dir`. */
export function writeReport(dir, report) {
  mkdirSync(dir, { recursive: true });
  for (const s of report.benchmarks) for (const c of s.charts ?? []) writeFileSync(join(dir, c.file), c.svg);
  const json = {
    ...report,
    benchmarks: report.benchmarks.map((s) => ({ ...s, charts: (s.charts ?? []).map(({ svg: _svg, ...c }) => c) })),
  };
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown(report));
}
