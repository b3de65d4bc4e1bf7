import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricLabels = Readonly<Record<string, string>>;

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Family = Counter | Gauge | Histogram;

/**
 * The service's Prometheus registry, on prom-client: every series a service counts, plus Node's
 * default process, GC and event-loop metrics (`process_cpu_seconds_total`,
 * `nodejs_eventloop_lag_seconds`, `nodejs_gc_duration_seconds`, heap, handles, ...).
 *
 * The call-site API stays "register by name on first use" (inc / set / setTotal / observe), so a
 * new series needs no declaration elsewhere. A family's label names are fixed by its first use
 * (prom-client validates them on every call). Hot paths should pass a label object they keep
 * (see http-metrics.ts): then nothing is built per request, prom-client only adds to a number.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly families = new Map<string, Family>();
  /** Totals kept elsewhere (setTotal): the last value reported, to add only the difference. */
  private readonly totals = new Map<string, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  inc(name: string, help: string, labels: MetricLabels = {}, by = 1): void {
    const sorted = sortedLabels(labels);
    this.counter(name, help, sorted).inc(sorted, by);
  }

  /** A counter whose total is kept elsewhere (read at scrape time, e.g. a projection's restarts). */
  setTotal(name: string, help: string, labels: MetricLabels, total: number): void {
    const sorted = sortedLabels(labels);
    const counter = this.counter(name, help, sorted);
    const key = `${name}${JSON.stringify(sorted)}`;
    const last = this.totals.get(key) ?? 0;
    if (total < last) {
      // The source restarted from zero (a rebuild, a new consumer): start the series again.
      counter.remove(sorted);
      counter.inc(sorted, total);
    } else if (total > last) {
      counter.inc(sorted, total - last);
    } else if (!this.totals.has(key)) {
      counter.inc(sorted, 0);
    }
    this.totals.set(key, total);
  }

  set(name: string, help: string, labels: MetricLabels, value: number): void {
    const sorted = sortedLabels(labels);
    this.gauge(name, help, sorted).set(sorted, value);
  }

  observe(name: string, help: string, labels: MetricLabels, seconds: number): void {
    const sorted = sortedLabels(labels);
    this.histogram(name, help, sorted).observe(sorted, seconds);
  }

  /** The Prometheus text format 0.0.4 of everything registered. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter(name: string, help: string, labels: MetricLabels): Counter {
    return this.family(Counter, name, (labelNames) => new Counter({ name, help, labelNames, registers: [this.registry] }), labels);
  }

  private gauge(name: string, help: string, labels: MetricLabels): Gauge {
    return this.family(Gauge, name, (labelNames) => new Gauge({ name, help, labelNames, registers: [this.registry] }), labels);
  }

  private histogram(name: string, help: string, labels: MetricLabels): Histogram {
    return this.family(Histogram, name, (labelNames) => new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS, registers: [this.registry] }), labels);
  }

  /** The family `name`, made on first use with its label names in name order. */
  private family<M extends Counter | Gauge | Histogram>(kind: abstract new (...args: never[]) => M, name: string, create: (labelNames: string[]) => M, labels: MetricLabels): M {
    const f = this.families.get(name);
    if (f instanceof kind) return f;
    if (f) throw new Error(`metric ${name} is already registered as another type`);
    const made = create(Object.keys(labels).sort());
    this.families.set(name, made);
    return made;
  }
}

/**
 * Labels in name order, so a series reads the same whatever order its call site wrote them in:
 * prom-client writes a series' labels in the order of the object it was first counted with, not
 * of its labelNames. One label or none needs no copy (most per-request counters).
 */
function sortedLabels(labels: MetricLabels): MetricLabels {
  const keys = Object.keys(labels);
  if (keys.length < 2) return labels;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = labels[k] ?? '';
  return out;
}
