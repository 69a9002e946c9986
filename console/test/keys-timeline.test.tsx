/**
 * The keys page's timeline: the layout of a family's keys along time (pending → active →
 * retired → gone, src/keys/lifecycle.ts), the words after a rotation, and the drawing, which
 * carries its geometry in SVG attributes since the console's CSP forbids `style` attributes.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { KeyTimeline } from '../src/pages/keys/KeyTimeline';
import { describeRotation } from '../src/pages/keys/rotation';
import { layoutTimeline, nextChange, phasesOf, relativeTime, shortKid, type TimelineKeyInput } from '../src/pages/keys/timeline';

const HOUR = 3_600_000;
const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const at = (hours: number) => new Date(NOW + hours * HOUR).toISOString();

/** The default settings: a key signs an hour, its successor is published 10 minutes before. */
const active: TimelineKeyInput = { kid: 'active-key-0000000001', alg: 'ES256', state: 'active', createdAt: at(-0.5), activatesAt: at(-0.5), retiresAt: null, deletesAt: null };
const pending: TimelineKeyInput = { kid: 'pending-key-000000002', alg: 'ES256', state: 'pending', createdAt: at(-0.1), activatesAt: at(0.5), retiresAt: null, deletesAt: null };
const retired: TimelineKeyInput = { kid: 'retired-key-000000003', alg: 'ES256', state: 'retired', createdAt: at(-2), activatesAt: at(-1.5), retiresAt: at(-0.5), deletesAt: at(0.5) };

const noMargin = { margin: 0, minWidth: 0 };

describe('the phases of a key', () => {
  it('a pending key: published, then signing from its activation, open-ended', () => {
    expect(phasesOf(pending)).toEqual([
      { phase: 'pending', from: NOW - 0.1 * HOUR, to: NOW + 0.5 * HOUR },
      { phase: 'active', from: NOW + 0.5 * HOUR, to: null },
    ]);
  });

  it('a retired key: signing until it retired, verifying until it leaves the JWKS', () => {
    expect(phasesOf(retired).map((p) => [p.phase, p.from, p.to])).toEqual([
      ['pending', NOW - 2 * HOUR, NOW - 1.5 * HOUR],
      ['active', NOW - 1.5 * HOUR, NOW - 0.5 * HOUR],
      ['retired', NOW - 0.5 * HOUR, NOW + 0.5 * HOUR],
    ]);
  });

  it('a first key, active at its creation, has no pending phase; a key retired as it activated has no active phase', () => {
    expect(phasesOf(active).map((p) => p.phase)).toEqual(['active']);
    expect(phasesOf({ ...retired, createdAt: at(-1), activatesAt: at(-1), retiresAt: at(-1) }).map((p) => p.phase)).toEqual(['retired']);
  });

  it('a key whose activation is not a date has no phase to draw', () => {
    expect(phasesOf({ ...active, activatesAt: 'soon' })).toEqual([]);
  });
});

describe('the layout of a family', () => {
  it('orders keys by activation and spans the window from the oldest publication to the last departure', () => {
    const t = layoutTimeline([pending, active, retired], NOW, { ...noMargin, nextRotationAt: at(0.5) });
    expect(t.rows.map((r) => r.kid)).toEqual([retired.kid, active.kid, pending.kid]);
    expect(t.from).toBe(NOW - 2 * HOUR);
    expect(t.to).toBe(NOW + 0.5 * HOUR);
    // Now is 2 of the window's 2.5 hours in; the next rotation is its end.
    expect(t.nowAt).toBeCloseTo(0.8);
    expect(t.nextRotation).toEqual({ at: NOW + 0.5 * HOUR, fraction: 1, inWindow: true });
    const [old] = t.rows;
    expect(old.segments.map((s) => [s.phase, s.start, s.end])).toEqual([
      ['pending', 0, 0.2],
      ['active', 0.2, 0.6],
      ['retired', 0.6, 1],
    ]);
    expect(old.leavesAt).toBe(1);
  });

  it('a key without retiresAt runs open-ended to the window\'s end', () => {
    const t = layoutTimeline([active, pending], NOW, noMargin);
    const seg = t.rows.find((r) => r.kid === pending.kid)!.segments.find((s) => s.phase === 'active')!;
    expect(seg).toMatchObject({ to: null, end: 1, clippedEnd: true });
    expect(t.rows[0].leavesAt).toBeNull();
  });

  it('a pending key activating in the future starts after now', () => {
    const t = layoutTimeline([active, pending], NOW, noMargin);
    const row = t.rows.find((r) => r.kid === pending.kid)!;
    const signing = row.segments.find((s) => s.phase === 'active')!;
    expect(signing.start).toBeGreaterThan(t.nowAt);
    expect(row.segments[0]).toMatchObject({ phase: 'pending' });
    expect(row.segments[0].start).toBeLessThan(t.nowAt);
  });

  it('only one key, created now, with no next rotation: the shortest window, now at its start', () => {
    const only = { ...active, createdAt: at(0), activatesAt: at(0) };
    const t = layoutTimeline([only], NOW, { ...noMargin, minSpan: HOUR });
    expect(t.to - t.from).toBe(HOUR);
    expect(t.nowAt).toBe(0);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].segments).toEqual([expect.objectContaining({ phase: 'active', start: 0, end: 1, to: null })]);
    expect(t.nextRotation).toBeNull();
  });

  it('dates equal to now: a key activating now is drawn from now, and its pending phase ends there', () => {
    const switching = { ...pending, state: 'active', createdAt: at(-0.2), activatesAt: at(0) };
    const t = layoutTimeline([switching], NOW, { ...noMargin, nextRotationAt: at(1) });
    const [p, a] = t.rows[0].segments;
    expect(p).toMatchObject({ phase: 'pending', end: t.nowAt });
    expect(a).toMatchObject({ phase: 'active', start: t.nowAt });
    expect(t.nowAt).toBeCloseTo(0.2 / 1.2);
  });

  it('leaves a margin at each end', () => {
    const t = layoutTimeline([retired], NOW, { margin: 0.1, minWidth: 0 });
    const span = 2.5 * HOUR;
    expect(t.from).toBe(NOW - 2 * HOUR - 0.1 * span);
    expect(t.to).toBe(NOW + 0.5 * HOUR + 0.1 * span);
    expect(t.rows[0].segments[0].start).toBeCloseTo(0.1 / 1.2);
  });

  it('clamps the window around now: a key from long ago is cut at the window\'s start and said to be', () => {
    const ancient = { ...active, createdAt: at(-24 * 400), activatesAt: at(-24 * 400) };
    const t = layoutTimeline([ancient], NOW, { ...noMargin, maxPast: 24 * HOUR, maxFuture: 24 * HOUR, nextRotationAt: at(24 * 100) });
    expect(t.from).toBe(NOW - 24 * HOUR);
    expect(t.to).toBe(NOW + 24 * HOUR);
    expect(t.nowAt).toBeCloseTo(0.5);
    expect(t.rows[0].segments[0]).toMatchObject({ start: 0, clippedStart: true });
    expect(t.nextRotation).toMatchObject({ fraction: 1, inWindow: false });
  });

  it('draws a very short phase at least minWidth wide, within the window', () => {
    const blip = { ...retired, createdAt: at(-1), activatesAt: at(-1), retiresAt: at(0), deletesAt: at(0.001) };
    const t = layoutTimeline([blip], NOW, { margin: 0, minWidth: 0.05 });
    const last = t.rows[0].segments.at(-1)!;
    expect(last.phase).toBe('retired');
    expect(last.end - last.start).toBeCloseTo(0.05);
    expect(last.end).toBeLessThanOrEqual(1);
  });
});

describe('the helpers', () => {
  it('finds the next state change after now, none when nothing is planned', () => {
    expect(nextChange([active, pending, retired], NOW)).toBe(NOW + 0.5 * HOUR);
    expect(nextChange([active], NOW)).toBeNull();
    expect(nextChange([{ ...pending, activatesAt: at(0) }], NOW)).toBeNull();
  });

  it('shortens key ids for the drawing and says times relative to now', () => {
    expect(shortKid('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')).toBe('NzbLsXh8…');
    expect(shortKid('short')).toBe('short');
    expect(shortKid(null)).toBe('—');
    expect(relativeTime(NOW + 10 * 60_000, NOW, 'en')).toBe('in 10 minutes');
    expect(relativeTime(NOW - 2 * HOUR, NOW, 'en')).toBe('2 hours ago');
    expect(relativeTime(NOW + 20_000, NOW, 'en')).toBe('now');
    expect(relativeTime(NOW + 3 * 24 * HOUR, NOW, 'en')).toBe('in 3 days');
  });
});

describe('what a rotation did', () => {
  const fmt = (iso: string | null | undefined) => `<${iso}>`;
  const before = [{ family: 'primary', activeKid: active.kid, keys: [active] }];

  it('scheduled: names the new pending key and when it signs', () => {
    const after = [{ family: 'primary', activeKid: active.kid, keys: [{ ...active, retiresAt: at(0.2) }, { ...pending, kid: 'brand-new-key-1234', activatesAt: at(0.2) }] }];
    expect(describeRotation(before, after, false, fmt)).toEqual([`primary: new key brand-ne… published; it signs from <${at(0.2)}>.`]);
  });

  it('scheduled with a successor already waiting: nothing changed, and says so', () => {
    const waiting = [{ family: 'primary', activeKid: active.kid, keys: [active, pending] }];
    expect(describeRotation(waiting, waiting, false, fmt)).toEqual([`primary: key pending-… was already waiting and signs from <${pending.activatesAt}>; nothing changed.`]);
  });

  it('now: the new active key, and until when the old one still verifies', () => {
    const after = [{ family: 'primary', activeKid: 'brand-new-key-1234', keys: [{ ...active, state: 'retired', retiresAt: at(0), deletesAt: at(1) }, { ...active, kid: 'brand-new-key-1234' }] }];
    expect(describeRotation(before, after, true, fmt)).toEqual([`primary: key brand-ne… signs now (new). Key active-k… is retired; it stays in the JWKS until <${at(1)}>, so that tokens it signed still verify.`]);
    const promoted = [{ family: 'primary', activeKid: pending.kid, keys: [{ ...active, state: 'retired', deletesAt: at(1) }, { ...pending, state: 'active' }] }];
    expect(describeRotation([{ family: 'primary', activeKid: active.kid, keys: [active, pending] }], promoted, true, fmt)[0]).toMatch(/^primary: key pending-… signs now \(it was pending\)\./);
    expect(describeRotation(before, before, true, fmt)).toEqual(['primary: nothing changed.']);
  });
});

describe('the drawing', () => {
  const family = { family: 'primary', alg: 'ES256', activeKid: active.kid, nextRotationAt: pending.activatesAt, keys: [retired, active, pending] };
  const html = renderToStaticMarkup(<KeyTimeline family={family} now={NOW} />);

  it('has no style attribute (the CSP forbids them): geometry in SVG attributes, colours by class', () => {
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).toMatch(/<rect class="keys-tl-seg keys-tl-retired" x="[\d.]+" width="[\d.]+"/);
  });

  it('hides the drawing from assistive technology and writes every key, with its state and times, in a table', () => {
    expect(html).toMatch(/<div class="keys-tl" aria-hidden="true">/);
    const table = html.slice(html.indexOf('<table'));
    for (const k of [retired, active, pending]) expect(table).toContain(`<code>${k.kid}</code>`);
    expect(table).toContain(`<time dateTime="${retired.deletesAt}">`);
    expect(table.match(/<th scope="col">/g)).toHaveLength(6);
    // Oldest first, each with its state.
    expect([...table.matchAll(/keys-row-(\w+)/g)].map((m) => m[1])).toEqual(['retired', 'active', 'pending']);
    expect(html).toContain('when a successor takes over');
  });

  it('marks now and the next rotation on every row', () => {
    expect(html.match(/class="keys-tl-now"/g)!.length).toBe(3 + 1); // each row, and the legend
    expect(html.match(/class="keys-tl-next"/g)!.length).toBe(3 + 1);
  });
});
