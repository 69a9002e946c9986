/**
 * The audit page's filter: the form (what the person typed; `datetime-local` values in the
 * browser's time zone) ⇄ the `AuditEventFilter` of the API (ISO instants) ⇄ the page's URL, and
 * the same conditions applied to the events that arrive live, which the subscription filters by
 * type only (src/graphql/audit-events-resolver.ts). `since` is inclusive, `until` exclusive, as
 * src/audit-store.ts reads them.
 */

export interface AuditFilterForm {
  types: string[];
  actor: string;
  client: string;
  /** `datetime-local` values: `YYYY-MM-DDTHH:mm[:ss]`, local time; '' for none. */
  since: string;
  until: string;
}

/** What the API takes (`AuditEventFilter`): only the conditions given. */
export interface AuditFilter {
  types?: string[];
  actor?: string;
  client?: string;
  /** ISO 8601 instants. */
  since?: string;
  until?: string;
}

/** What the live rows need to be matched. */
export interface MatchableEvent {
  id: string;
  time: string;
  event: string;
  actor?: string | null;
  client?: string | null;
}

export const EMPTY_FORM: AuditFilterForm = { types: [], actor: '', client: '', since: '', until: '' };

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * A `datetime-local` value as an ISO instant: '' → undefined (no condition), a value that is not
 * a date and time → null. Read as the browser's local time, as the input shows it.
 */
export function localToIso(value: string): string | undefined | null {
  const v = value.trim();
  if (!v) return undefined;
  const m = LOCAL.exec(v);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number);
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s, Number.isNaN(ms) ? 0 : Number(m[7]!.padEnd(3, '0')));
  // Date rolls 31 April over into May: such a value is not a date.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || (!Number.isNaN(s) && s > 59)) return null;
  return date.toISOString();
}

/** An ISO instant as a `datetime-local` value in local time (seconds only when not zero); '' when not a date. */
export function isoToLocal(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  const base = `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
  return d.getSeconds() || d.getMilliseconds() ? `${base}:${two(d.getSeconds())}` : base;
}

/** The form as the API's filter, or what is wrong with it, by field name. */
export function toFilter(form: AuditFilterForm): { filter: AuditFilter; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const filter: AuditFilter = {};
  if (form.types.length > 0) filter.types = [...new Set(form.types)];
  const actor = form.actor.trim();
  if (actor) filter.actor = actor;
  const client = form.client.trim();
  if (client) filter.client = client;
  const since = localToIso(form.since);
  if (since === null) errors.since = 'Enter a date and time, or leave it empty.';
  else if (since) filter.since = since;
  const until = localToIso(form.until);
  if (until === null) errors.until = 'Enter a date and time, or leave it empty.';
  else if (until) filter.until = until;
  if (filter.since && filter.until && Date.parse(filter.until) <= Date.parse(filter.since)) errors.until = 'Until must be after since.';
  return { filter, errors };
}

/** The filter as the form shows it. */
export function toForm(filter: AuditFilter): AuditFilterForm {
  return { types: filter.types ?? [], actor: filter.actor ?? '', client: filter.client ?? '', since: isoToLocal(filter.since), until: isoToLocal(filter.until) };
}

/** The filter in the page's URL (`?type=…&type=…&actor=…`), so that a filtered view can be linked and survives a reload. */
export function toSearch(filter: AuditFilter): string {
  const q = new URLSearchParams();
  for (const t of filter.types ?? []) q.append('type', t);
  if (filter.actor) q.set('actor', filter.actor);
  if (filter.client) q.set('client', filter.client);
  if (filter.since) q.set('since', filter.since);
  if (filter.until) q.set('until', filter.until);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The filter from the URL; unknown types and times that are not dates are left out. */
export function fromSearch(search: URLSearchParams, known: readonly string[]): AuditFilter {
  const filter: AuditFilter = {};
  const types = search.getAll('type').filter((t) => known.includes(t));
  if (types.length) filter.types = [...new Set(types)];
  const actor = search.get('actor')?.trim();
  if (actor) filter.actor = actor;
  const client = search.get('client')?.trim();
  if (client) filter.client = client;
  for (const k of ['since', 'until'] as const) {
    const v = search.get(k);
    if (v && !Number.isNaN(Date.parse(v))) filter[k] = new Date(v).toISOString();
  }
  return filter;
}

/** Whether a live event belongs to the filtered list: every given condition holds. */
export function matchesFilter(event: MatchableEvent, filter: AuditFilter): boolean {
  if (filter.types && !filter.types.includes(event.event)) return false;
  if (filter.actor !== undefined && event.actor !== filter.actor) return false;
  if (filter.client !== undefined && event.client !== filter.client) return false;
  const t = Date.parse(event.time);
  if (filter.since && !(t >= Date.parse(filter.since))) return false;
  if (filter.until && !(t < Date.parse(filter.until))) return false;
  return true;
}

/** Whether no new event can match any more: the period ends in the past. */
export function periodOver(filter: AuditFilter, now: number): boolean {
  return !!filter.until && Date.parse(filter.until) <= now;
}

/** The lists as one, newest first (by time, then id, as the API orders them), each event once. */
export function mergeEvents<E extends MatchableEvent>(...lists: readonly (readonly E[])[]): E[] {
  const seen = new Map<string, E>();
  for (const list of lists) for (const e of list) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** A stable key of the filter: a change of filter starts the list afresh. */
export function filterKey(filter: AuditFilter): string {
  return JSON.stringify([filter.types ? [...filter.types].sort() : null, filter.actor ?? null, filter.client ?? null, filter.since ?? null, filter.until ?? null]);
}
