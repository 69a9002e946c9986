/** The label values of the metrics stay bounded whatever clients send (README "Metrics"). */
import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_LABELS, Metrics } from '../../src/metrics.js';
import type { AuditRecord } from '../../src/audit.js';

const issued = (client: string): AuditRecord => ({ event: 'token.issued', outcome: 'success', grantType: 'client_credentials', client }) as unknown as AuditRecord;

async function clientsLabelled(metrics: Metrics): Promise<Map<string, number>> {
  const json = await metrics.registry.getSingleMetricAsString('jwt_oidc_tokens_issued_total');
  const out = new Map<string, number>();
  for (const m of json.matchAll(/client="([^"]*)"[^}]*\} (\d+)/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  return out;
}

describe('client labels', () => {
  it(`OB-03 names at most ${MAX_CLIENT_LABELS} clients; the rest count as other`, async () => {
    const metrics = new Metrics({ now: () => 0 });
    for (let i = 0; i < MAX_CLIENT_LABELS + 50; i++) metrics.auditSink(issued(`client-${i}`));
    metrics.auditSink(issued('client-0')); // one already named keeps its label
    const labels = await clientsLabelled(metrics);
    expect(labels.size).toBe(MAX_CLIENT_LABELS + 1);
    expect(labels.get('other')).toBe(50);
    expect(labels.get('client-0')).toBe(2);
    expect(labels.has(`client-${MAX_CLIENT_LABELS}`)).toBe(false);
  });

  it('OB-03 gives every client ID metadata document one label', async () => {
    const metrics = new Metrics({ now: () => 0 });
    metrics.auditSink(issued('https://app.example/a.json'));
    metrics.auditSink(issued('https://other.example/b.json'));
    expect([...(await clientsLabelled(metrics))]).toEqual([['metadata_document', 2]]);
  });
});
