/**
 * The live audit stream's publishing side, without a database (src/audit-stream.ts): events in
 * order, in notifications under PostgreSQL's payload limit, secrets dropped, a flood bounded; and
 * the sink of src/audit.ts reaching the loggers derived from one instance's, and no other's.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { audit, withAuditSink, type AuditRecord } from '../../src/audit.js';
import { AUDIT_CHANNEL, AuditStream, type StreamedAuditEvent } from '../../src/audit-stream.js';
import { createLogger } from '../../src/log.js';

function logger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination, pretty: false }), lines };
}

function stream(options: { maxQueued?: number } = {}) {
  const sent: { channel: string; payload: string }[] = [];
  const { log, lines } = logger();
  const s = new AuditStream({ url: 'postgres://unused', logger: log, notify: async (channel, payload) => void sent.push({ channel, payload }), ...options });
  return { s, sent, lines, events: () => sent.flatMap((n) => JSON.parse(n.payload) as StreamedAuditEvent[]) };
}

const record = (i: number, extra: Record<string, unknown> = {}): AuditRecord => ({ time: 1_000 + i, event: 'login.failure', message: 'login failed', outcome: 'failure', actor: `u${i}`, ip: '127.0.0.1', ...extra });

describe('AuditStream publishing', () => {
  it('sends every event in order, each notification a JSON array under 8000 bytes; an event too large alone keeps all but its details', async () => {
    const { s, sent, events } = stream();
    for (let i = 0; i < 200; i++) s.sink(record(i, { note: 'x'.repeat(i % 7 === 0 ? 300 : 20) }));
    s.sink(record(200, { note: 'y'.repeat(20_000) }));
    await s.flush();
    expect(sent.length).toBeGreaterThan(3);
    for (const n of sent) {
      expect(n.channel).toBe(AUDIT_CHANNEL);
      expect(Buffer.byteLength(n.payload)).toBeLessThan(8000);
    }
    const all = events();
    expect(all.map((e) => e.actor)).toEqual(Array.from({ length: 201 }, (_, i) => `u${i}`));
    expect(all[7]!.details).toEqual({ note: 'x'.repeat(300) });
    expect(all[200]).toMatchObject({ event: 'login.failure', actor: 'u200', details: { truncated: true } });
    expect(new Set(all.map((e) => e.id)).size).toBe(201);
    expect(new Set(all.map((e) => e.instance))).toEqual(new Set([s.instance]));
  });

  it('drops fields named like secrets, as the log censors them', async () => {
    const { s, events } = stream();
    s.sink(record(1, { password: 'hunter2', client_secret: 's3cret', token: 'eyJ…', grantType: 'client_credentials' }));
    await s.flush();
    expect(events()[0]!.details).toEqual({ grantType: 'client_credentials' });
    expect(JSON.stringify(events())).not.toMatch(/hunter2|s3cret|eyJ/);
  });

  it('a flood beyond maxQueued between two sends is dropped, counted and logged once — never unbounded memory', async () => {
    const { s, events, lines } = stream({ maxQueued: 50 });
    for (let i = 0; i < 500; i++) s.sink(record(i));
    await s.flush();
    expect(events()).toHaveLength(50);
    expect(lines.filter((l) => l.msg === 'audit stream: events dropped, the database could not take them fast enough')).toEqual([expect.objectContaining({ dropped: 450 })]);
  });

  it('a notification that fails is logged, and later events are still sent', async () => {
    const { log, lines } = logger();
    let fail = true;
    const sent: string[] = [];
    const s = new AuditStream({
      url: 'postgres://unused',
      logger: log,
      notify: async (_c, payload) => {
        if (fail) throw new Error('connection refused');
        sent.push(payload);
      },
    });
    s.sink(record(1));
    await s.flush();
    fail = false;
    s.sink(record(2));
    await s.flush();
    expect(lines.some((l) => l.msg === 'audit stream: events not published')).toBe(true);
    expect(sent.flatMap((p) => JSON.parse(p) as StreamedAuditEvent[]).map((e) => e.actor)).toEqual(['u2']);
  });
});

describe('withAuditSink', () => {
  it("reaches the children of the instance's logger (request loggers), and not another instance's", () => {
    const { log, lines } = logger();
    const seenA: AuditRecord[] = [];
    const seenB: AuditRecord[] = [];
    const a = withAuditSink(log, (r) => seenA.push(r));
    const b = withAuditSink(log, (r) => seenB.push(r));
    audit(a.child({ requestId: 'r1' }).child({ step: 'x' }), 'token.issued', { outcome: 'success', client: 'c1' });
    audit(b, 'logout', { outcome: 'success', actor: 'u1' });
    audit(log, 'logout', { outcome: 'success', actor: 'nobody-watches' });
    expect(seenA).toEqual([expect.objectContaining({ event: 'token.issued', client: 'c1', outcome: 'success', message: 'token.issued' })]);
    expect(seenB).toEqual([expect.objectContaining({ event: 'logout', actor: 'u1' })]);
    // Every one of them is still logged.
    expect(lines.filter((l) => l.audit === true)).toHaveLength(3);
  });

  it('a sink that throws changes nothing for the caller, and the event is still logged', () => {
    const { log, lines } = logger();
    const a = withAuditSink(log, () => {
      throw new Error('boom');
    });
    expect(() => audit(a, 'logout', { outcome: 'success' })).not.toThrow();
    expect(lines.filter((l) => l.audit === true)).toHaveLength(1);
  });
});
