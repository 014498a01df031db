/** Wall-clock milliseconds with sub-millisecond resolution, comparable with `Date` values from the server. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Percentiles of a set of latencies (ms). Samples that never completed count as slower than any that did, so
 * a percentile falling among them is `null` ("beyond the phase deadline"), never a flattering number.
 */
export interface LatencySummary {
  samples: number;
  /** Expected samples that never completed (e.g. a contact never assigned before the deadline). */
  missing: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** Nearest-rank percentile of an ascending list padded with `missing` infinitely slow samples. */
function percentile(sorted: readonly number[], missing: number, q: number): number | null {
  const n = sorted.length + missing;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  const value = sorted[rank - 1];
  return value === undefined ? null : round(value);
}

export function summarize(values: readonly number[], missing = 0): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const last = sorted[sorted.length - 1];
  return {
    samples: sorted.length,
    missing,
    p50: percentile(sorted, missing, 0.5),
    p95: percentile(sorted, missing, 0.95),
    p99: percentile(sorted, missing, 0.99),
    max: missing > 0 || last === undefined ? null : round(last),
    mean: sorted.length === 0 ? null : round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** A per-second rate, rounded for reports. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : Math.round((count * 1000 * 10) / elapsedMs) / 10;
}

/** Deterministic pseudo-random numbers (mulberry32), so two runs preload the same history. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Picks from weighted choices with a random number in [0, 1). */
export function weighted<T>(choices: readonly (readonly [T, number])[], r: number): T {
  const total = choices.reduce((sum, [, w]) => sum + w, 0);
  let x = r * total;
  for (const [value, w] of choices) {
    x -= w;
    if (x < 0) return value;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new Error('weighted: no choices');
  return last[0];
}
