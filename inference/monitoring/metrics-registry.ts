type Labels = Record<string, string>;

const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

type Counter = { kind: 'counter'; help: string; values: Map<string, { labels: Labels; value: number }> };
type Gauge = { kind: 'gauge'; help: string; values: Map<string, { labels: Labels; value: number }> };
type Histogram = {
  kind: 'histogram';
  help: string;
  buckets: number[];
  values: Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>;
};

/** A small Prometheus registry: counters, gauges and histograms rendered in the text format. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();

  increment(name: string, help: string, labels: Labels = {}, by = 1): void {
    const metric = this.get(name, () => ({ kind: 'counter', help, values: new Map() }) as Counter);
    const key = labelText(labels);
    const current = metric.values.get(key) as { labels: Labels; value: number } | undefined;
    if (current) current.value += by;
    else (metric.values as Counter['values']).set(key, { labels, value: by });
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    const metric = this.get(name, () => ({ kind: 'gauge', help, values: new Map() }) as Gauge);
    (metric.values as Gauge['values']).set(labelText(labels), { labels, value });
  }

  observe(name: string, help: string, labels: Labels, seconds: number, buckets = defaultBuckets): void {
    const metric = this.get(
      name,
      () => ({ kind: 'histogram', help, buckets, values: new Map() }) as Histogram,
    ) as Histogram;
    const key = labelText(labels);
    let entry = metric.values.get(key);
    if (!entry) {
      entry = { labels, counts: metric.buckets.map(() => 0), sum: 0, count: 0 };
      metric.values.set(key, entry);
    }
    metric.buckets.forEach((bound, index) => {
      if (seconds <= bound)
        (entry as { counts: number[] }).counts[index] =
          ((entry as { counts: number[] }).counts[index] ?? 0) + 1;
    });
    entry.sum += seconds;
    entry.count += 1;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, metric] of this.metrics) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} ${metric.kind}`);
      if (metric.kind === 'histogram') {
        for (const entry of metric.values.values()) {
          metric.buckets.forEach((bound, index) => {
            lines.push(
              `${name}_bucket${labelText({ ...entry.labels, le: String(bound) })} ${entry.counts[index] ?? 0}`,
            );
          });
          lines.push(`${name}_bucket${labelText({ ...entry.labels, le: '+Inf' })} ${entry.count}`);
          lines.push(`${name}_sum${labelText(entry.labels)} ${entry.sum}`);
          lines.push(`${name}_count${labelText(entry.labels)} ${entry.count}`);
        }
      } else {
        for (const entry of metric.values.values())
          lines.push(`${name}${labelText(entry.labels)} ${entry.value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private get<T extends Counter | Gauge | Histogram>(name: string, create: () => T): T {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = create();
      this.metrics.set(name, metric);
    }
    return metric as T;
  }
}
