/**
 * A measured figure with the peak resident memory seen while it ran, and the CPU time the whole
 * process (every thread) spent meanwhile: unlike wall time, it does not grow while other
 * processes hold the cores.
 */
export type Measurement = { durationMs: number; cpuMs: number; peakRssMb: number };

/**
 * Runs `work` while sampling resident memory every 5 ms, so each figure carries its own peak
 * (process-wide maxRSS only ever grows and would blame later figures for earlier ones).
 */
export async function measure<T>(work: () => Promise<T> | T): Promise<Measurement & { value: T }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  try {
    const value = await work();
    const durationMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    peak = Math.max(peak, process.memoryUsage.rss());
    return {
      value,
      durationMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: round(peak / 1024 / 1024, 1),
    };
  } finally {
    clearInterval(timer);
  }
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] as number;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
