/**
 * docs/grafana-dashboard.json is a sample operators import as is: every series it queries must be
 * one the service exports (src/metrics.ts and Node's defaults), with the labels it groups by.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';

interface Panel {
  title?: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Panel[] };
const exprs = (panels: Panel[]): string[] => panels.flatMap((p) => [...(p.targets ?? []).map((t) => t.expr), ...exprs(p.panels ?? [])]);

describe('the sample Grafana dashboard', () => {
  it('queries only series and labels the service exports', async () => {
    const metrics = new Metrics({ now: () => 0 });
    const exported = await metrics.registry.getMetricsAsJSON();
    const labels = new Map<string, Set<string>>();
    for (const m of exported) {
      const names = new Set<string>((m as { aggregator?: unknown; values: { labels: Record<string, unknown> }[] }).values.flatMap((v) => Object.keys(v.labels)));
      // Counters without samples yet list no labels: take them from the metric's declaration.
      for (const l of ((metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] })?.labelNames ?? [])) names.add(l);
      labels.set(m.name, names);
    }
    const all = exprs(dashboard.panels);
    expect(all.length).toBeGreaterThan(10);
    for (const expr of all) {
      const series = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1]!);
      expect(series.length, expr).toBeGreaterThan(0);
      for (const name of series) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        expect(labels.has(name) || labels.has(base), `${name} in ${expr}`).toBe(true);
        const known = labels.get(name) ?? labels.get(base)!;
        for (const by of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const l of by[1]!.split(',').map((s) => s.trim())) if (!['le', 'instance', 'job'].includes(l)) expect(known.has(l), `label ${l} of ${name}`).toBe(true);
        }
      }
    }
  });
});
