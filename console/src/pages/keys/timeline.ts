/**
 * The signing keys of one family laid out along time, for the keys page's timeline: each key's
 * phases (src/keys/lifecycle.ts: pending = published, not signing → active = signing → retired =
 * published, verifying only → gone from the JWKS at `deletesAt`) as spans of a window that holds
 * every key, "now" and the next rotation. Pure, so that the geometry is tested without a browser;
 * the page draws it (fractions of the window's width) and writes the same facts as a table.
 */

export type Phase = 'pending' | 'active' | 'retired';

/** A key as `keyRotationStatus` describes it (times as ISO strings). */
export interface TimelineKeyInput {
  kid: string;
  alg: string;
  state: string;
  createdAt: string;
  activatesAt: string;
  retiresAt?: string | null;
  deletesAt?: string | null;
}

export interface TimelineSegment {
  phase: Phase;
  /** When the phase starts, ms since the epoch. */
  from: number;
  /** When it ends; null: open-ended (the key's successor is not planned yet). */
  to: number | null;
  /** Where it is drawn, as fractions of the window (0 = its start, 1 = its end). */
  start: number;
  end: number;
  /** It begins before the window (the window was clamped). */
  clippedStart: boolean;
  /** It goes on past the window: open-ended, or the window was clamped. */
  clippedEnd: boolean;
}

export interface TimelineRow {
  kid: string;
  alg: string;
  state: string;
  segments: TimelineSegment[];
  /** Where the key leaves the JWKS, as a fraction; null when not planned or outside the window. */
  leavesAt: number | null;
}

export interface Timeline {
  /** The window, ms since the epoch. */
  from: number;
  to: number;
  now: number;
  /** "now" as a fraction of the window. */
  nowAt: number;
  nextRotation: { at: number; fraction: number; inWindow: boolean } | null;
  /** Oldest key first (by activation), so that successors read downwards. */
  rows: TimelineRow[];
}

export interface TimelineOptions {
  /** The family's `nextRotationAt`: when the next key takes over. */
  nextRotationAt?: string | null;
  /** The shortest window, ms (default one hour): a lone fresh key still gets a readable bar. */
  minSpan?: number;
  /** How far the window reaches into the past and the future at most, ms (default 30 days each). */
  maxPast?: number;
  maxFuture?: number;
  /** Room left at each end, as a fraction of the span (default 3 %). */
  margin?: number;
  /**
   * The narrowest drawn span, as a fraction (default 0.6 %): with the default settings a key
   * stays retired for about an hour of a signing period of hours to days, which would otherwise
   * be a hairline. The times in the table stay exact.
   */
  minWidth?: number;
}

export const PHASE_LABELS: Record<Phase, string> = {
  pending: 'pending: published, not signing yet',
  active: 'active: signing',
  retired: 'retired: verifying only',
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function time(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The phases of one key, in order, leaving out those of no duration. */
export function phasesOf(key: TimelineKeyInput): { phase: Phase; from: number; to: number | null }[] {
  const activates = time(key.activatesAt);
  if (activates === null) return [];
  const created = Math.min(time(key.createdAt) ?? activates, activates);
  const retires = time(key.retiresAt);
  const deletes = time(key.deletesAt);
  const phases: { phase: Phase; from: number; to: number | null }[] = [];
  if (created < activates) phases.push({ phase: 'pending', from: created, to: activates });
  if (retires === null) {
    phases.push({ phase: 'active', from: activates, to: null });
    return phases;
  }
  if (retires > activates) phases.push({ phase: 'active', from: activates, to: retires });
  if (deletes === null || deletes > retires) phases.push({ phase: 'retired', from: Math.max(retires, activates), to: deletes });
  return phases;
}

/** Lays out `keys` around `now` (ms since the epoch). */
export function layoutTimeline(keys: readonly TimelineKeyInput[], now: number, options: TimelineOptions = {}): Timeline {
  const minSpan = options.minSpan ?? HOUR;
  const maxPast = options.maxPast ?? 30 * DAY;
  const maxFuture = options.maxFuture ?? 30 * DAY;
  const margin = options.margin ?? 0.03;
  const minWidth = options.minWidth ?? 0.006;
  const next = time(options.nextRotationAt);

  const ordered = [...keys].sort((a, b) => (time(a.activatesAt) ?? 0) - (time(b.activatesAt) ?? 0) || (time(a.createdAt) ?? 0) - (time(b.createdAt) ?? 0) || a.kid.localeCompare(b.kid));
  const phases = ordered.map(phasesOf);

  // Every instant worth showing: each phase's bounds, now, the next rotation.
  let lo = now;
  let hi = now;
  for (const list of phases)
    for (const p of list) {
      lo = Math.min(lo, p.from);
      hi = Math.max(hi, p.from, p.to ?? p.from);
    }
  if (next !== null) hi = Math.max(hi, next);
  // The clamp: a key from long ago or planned far ahead (a clock that was wrong) must not squeeze
  // the present into a hairline.
  lo = Math.max(lo, now - maxPast);
  hi = Math.min(hi, now + maxFuture);
  if (hi - lo < minSpan) hi = lo + minSpan;
  const pad = (hi - lo) * margin;
  const from = lo - pad;
  const to = hi + pad;
  const at = (t: number) => Math.min(1, Math.max(0, (t - from) / (to - from)));

  const rows = ordered.map((key, i): TimelineRow => {
    const segments = phases[i].map((p): TimelineSegment => {
      let start = at(p.from);
      let end = p.to === null ? 1 : at(p.to);
      if (end - start < minWidth) {
        end = Math.min(1, start + minWidth);
        start = Math.max(0, end - minWidth);
      }
      return { ...p, start, end, clippedStart: p.from < from, clippedEnd: p.to === null || p.to > to };
    });
    const deletes = time(key.deletesAt);
    return { kid: key.kid, alg: key.alg, state: key.state, segments, leavesAt: deletes !== null && deletes >= from && deletes <= to ? at(deletes) : null };
  });

  return {
    from,
    to,
    now,
    nowAt: at(now),
    nextRotation: next === null ? null : { at: next, fraction: at(next), inWindow: next >= from && next <= to },
    rows,
  };
}

/** The next instant at which a key of these changes state (to refresh the page then); null if none is planned. */
export function nextChange(keys: readonly TimelineKeyInput[], now: number): number | null {
  let next: number | null = null;
  for (const k of keys)
    for (const t of [time(k.activatesAt), time(k.retiresAt), time(k.deletesAt)])
      if (t !== null && t > now && (next === null || t < next)) next = t;
  return next;
}

/** A key id short enough for the graphic: the thumbprint's first characters. */
export function shortKid(kid: string | null | undefined): string {
  if (!kid) return '—';
  return kid.length > 10 ? `${kid.slice(0, 8)}…` : kid;
}

/** `t` from `now` in words ("in 10 minutes", "2 hours ago"); within a minute, "now". */
export function relativeTime(t: number, now: number, locale?: string): string {
  const d = t - now;
  const abs = Math.abs(d);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (abs < 60_000) return format.format(0, 'second');
  if (abs < HOUR) return format.format(Math.round(d / 60_000), 'minute');
  if (abs < DAY) return format.format(Math.round(d / HOUR), 'hour');
  return format.format(Math.round(d / DAY), 'day');
}
