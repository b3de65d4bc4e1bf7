import { Injectable } from '@nestjs/common';

type Labels = Readonly<Record<string, string>>;

function key(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}="${escape(labels[k] ?? '')}"`).join(',');
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

interface Family {
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly values: Map<string, number>;
  readonly buckets?: readonly number[];
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A small Prometheus registry (text format 0.0.4): counters, gauges and histograms with labels.
 * Everything a service counts goes through one instance; /metrics renders it.
 */
@Injectable()
export class Metrics {
  private readonly families = new Map<string, Family>();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, help, 'counter');
    const k = key(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  /** A counter whose total is kept elsewhere (read at scrape time, e.g. a projection's restarts). */
  setTotal(name: string, help: string, labels: Labels, total: number): void {
    this.family(name, help, 'counter').values.set(key(labels), total);
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, help, 'gauge').values.set(key(labels), value);
  }

  observe(name: string, help: string, labels: Labels, seconds: number): void {
    const f = this.family(name, help, 'histogram', DURATION_BUCKETS);
    const base = key(labels);
    const sep = base ? ',' : '';
    for (const b of f.buckets ?? []) {
      if (seconds <= b) f.values.set(`${base}${sep}le="${b}"`, (f.values.get(`${base}${sep}le="${b}"`) ?? 0) + 1);
    }
    f.values.set(`${base}${sep}le="+Inf"`, (f.values.get(`${base}${sep}le="+Inf"`) ?? 0) + 1);
    f.values.set(`sum:${base}`, (f.values.get(`sum:${base}`) ?? 0) + seconds);
    f.values.set(`count:${base}`, (f.values.get(`count:${base}`) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, value] of f.values) {
        if (f.type !== 'histogram') lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
        else if (labels.startsWith('sum:')) lines.push(`${name}_sum${wrap(labels.slice(4))} ${value}`);
        else if (labels.startsWith('count:')) lines.push(`${name}_count${wrap(labels.slice(6))} ${value}`);
        else lines.push(`${name}_bucket{${labels}} ${value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private family(name: string, help: string, type: Family['type'], buckets?: readonly number[]): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, values: new Map(), ...(buckets ? { buckets } : {}) };
      this.families.set(name, f);
    }
    return f;
  }
}

function wrap(labels: string): string {
  return labels ? `{${labels}}` : '';
}
