// Small statistics for benchmark samples: percentiles by nearest rank, medians of runs, ratios.

/** The q-quantile (0..1) of already sorted numbers, by nearest rank (p99 of 100 samples is the 99th). */
export function quantileSorted(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function sortNumbers(values) {
  const sorted = Float64Array.from(values);
  sorted.sort();
  return sorted;
}

/** n, min, p50, p90, p99, p99.9, max and mean of a sample. */
export function summarize(values) {
  const sorted = sortNumbers(values);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    min: sorted.length ? sorted[0] : NaN,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    p999: quantileSorted(sorted, 0.999),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export function median(values) {
  return quantileSorted(sortNumbers(values), 0.5);
}

/** value / baseline, or null when either is missing or the baseline is 0. */
export function ratio(value, baseline) {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return null;
  return value / baseline;
}

/** Points of a percentile curve (for charts): [[percentile, value], ...] at fixed percentiles. */
export function percentileCurve(values, points = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]) {
  const sorted = sortNumbers(values);
  return points.map((p) => [p, p === 0 ? sorted[0] : quantileSorted(sorted, p / 100)]);
}
