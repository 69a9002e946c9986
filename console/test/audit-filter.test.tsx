/**
 * The audit page's filter: the form ⇄ the API's AuditEventFilter ⇄ the URL, the same conditions
 * applied to live events (since inclusive, until exclusive, as src/audit-store.ts), the merged
 * newest-first list, and the console's copy of the event types against the server's.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_TYPES, groupedTypes } from '../src/pages/audit/events';
import { EMPTY_FORM, filterKey, fromSearch, isoToLocal, localToIso, matchesFilter, mergeEvents, periodOver, toFilter, toForm, toSearch } from '../src/pages/audit/filter';

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s).toISOString();

describe('datetime-local values', () => {
  it('are read in the browser\'s time zone, with or without seconds', () => {
    expect(localToIso('2025-03-10T09:30')).toBe(local(2025, 3, 10, 9, 30));
    expect(localToIso('2025-03-10T09:30:15')).toBe(local(2025, 3, 10, 9, 30, 15));
    expect(localToIso('2025-03-10T09:30:15.5')).toBe(new Date(2025, 2, 10, 9, 30, 15, 500).toISOString());
    expect(localToIso('  ')).toBeUndefined();
  });

  it('that are not a date and time are refused, days that do not exist too', () => {
    for (const bad of ['yesterday', '2025-03-10', '2025-02-30T10:00', '2025-03-10T24:00', '2025-03-10T10:60', '10/03/2025 10:00']) expect(localToIso(bad), bad).toBeNull();
  });

  it('come back from ISO as the input writes them, in local time', () => {
    expect(isoToLocal(local(2025, 3, 10, 9, 30))).toBe('2025-03-10T09:30');
    expect(isoToLocal(local(2025, 3, 10, 9, 30, 15))).toBe('2025-03-10T09:30:15');
    expect(isoToLocal('not a date')).toBe('');
    expect(isoToLocal(undefined)).toBe('');
    expect(localToIso(isoToLocal(local(2024, 12, 31, 23, 59, 59)))).toBe(local(2024, 12, 31, 23, 59, 59));
  });
});

describe('the form as the API\'s filter', () => {
  it('keeps only the conditions given, trimmed', () => {
    expect(toFilter(EMPTY_FORM)).toEqual({ filter: {}, errors: {} });
    expect(toFilter({ types: ['login.failure', 'login.failure'], actor: ' u-1 ', client: '', since: '2025-03-10T09:00', until: '' })).toEqual({
      filter: { types: ['login.failure'], actor: 'u-1', since: local(2025, 3, 10, 9) },
      errors: {},
    });
  });

  it('says which time is wrong, and that until must come after since', () => {
    expect(toFilter({ ...EMPTY_FORM, since: 'soon' }).errors).toEqual({ since: 'Enter a date and time, or leave it empty.' });
    expect(toFilter({ ...EMPTY_FORM, since: '2025-03-10T09:00', until: '2025-03-10T09:00' }).errors).toEqual({ until: 'Until must be after since.' });
    expect(toFilter({ ...EMPTY_FORM, since: '2025-03-10T09:00', until: '2025-03-10T08:00' }).errors.until).toBeTruthy();
  });

  it('goes to the URL and back unchanged; unknown types and bad times in a URL are left out', () => {
    const filter = { types: ['login.failure', 'token.issued'], actor: 'schedule', client: 'app 1', since: local(2025, 3, 10, 9), until: local(2025, 3, 11) };
    const search = toSearch(filter);
    expect(search).toMatch(/^\?type=login.failure&type=token.issued&actor=schedule&client=app\+1&since=/);
    expect(fromSearch(new URLSearchParams(search), AUDIT_EVENT_TYPES)).toEqual(filter);
    expect(toSearch({})).toBe('');
    expect(fromSearch(new URLSearchParams('type=nope&type=logout&since=never&actor=%20'), AUDIT_EVENT_TYPES)).toEqual({ types: ['logout'] });
    expect(toForm(filter)).toEqual({ types: filter.types, actor: 'schedule', client: 'app 1', since: '2025-03-10T09:00', until: '2025-03-11T00:00' });
  });

  it('has a key that ignores the order of types and changes with any condition', () => {
    expect(filterKey({ types: ['a', 'b'] })).toBe(filterKey({ types: ['b', 'a'] }));
    expect(filterKey({})).not.toBe(filterKey({ actor: 'x' }));
    expect(filterKey({ since: 'x' })).not.toBe(filterKey({ until: 'x' }));
  });
});

describe('live events against the filter', () => {
  const event = { id: 'e1', time: '2025-03-10T10:00:00.000Z', event: 'login.failure', actor: null, client: 'portal' };

  it('all pass when nothing is filtered', () => {
    expect(matchesFilter(event, {})).toBe(true);
  });

  it('types, actor and client must match exactly; an event without an actor never matches an actor', () => {
    expect(matchesFilter(event, { types: ['login.failure', 'logout'] })).toBe(true);
    expect(matchesFilter(event, { types: ['login.success'] })).toBe(false);
    expect(matchesFilter(event, { client: 'portal' })).toBe(true);
    expect(matchesFilter(event, { client: 'portal-2' })).toBe(false);
    expect(matchesFilter(event, { actor: 'u-1' })).toBe(false);
    expect(matchesFilter({ ...event, actor: 'u-1' }, { actor: 'u-1', client: 'portal' })).toBe(true);
  });

  it('since is inclusive and until exclusive', () => {
    expect(matchesFilter(event, { since: '2025-03-10T10:00:00.000Z' })).toBe(true);
    expect(matchesFilter(event, { since: '2025-03-10T10:00:00.001Z' })).toBe(false);
    expect(matchesFilter(event, { until: '2025-03-10T10:00:00.000Z' })).toBe(false);
    expect(matchesFilter(event, { until: '2025-03-10T10:00:00.001Z' })).toBe(true);
  });

  it('a period that has ended admits no live event', () => {
    const now = Date.parse('2025-03-10T10:00:00.000Z');
    expect(periodOver({ until: '2025-03-10T10:00:00.000Z' }, now)).toBe(true);
    expect(periodOver({ until: '2025-03-10T10:00:01.000Z' }, now)).toBe(false);
    expect(periodOver({ since: '2025-03-10T09:00:00.000Z' }, now)).toBe(false);
  });
});

describe('the merged list', () => {
  it('is newest first, by time then id as the API orders, each event once (the first copy kept)', () => {
    const a = { id: 'a', time: '2025-03-10T10:00:00.000Z', event: 'logout', message: 'live' };
    const b = { id: 'b', time: '2025-03-10T10:00:00.000Z', event: 'logout', message: 'page' };
    const c = { id: 'c', time: '2025-03-10T11:00:00.000Z', event: 'logout', message: 'live' };
    const d = { id: 'd', time: '2025-03-10T09:00:00.000Z', event: 'logout', message: 'older' };
    const merged = mergeEvents([c, a], [{ ...a, message: 'page' }, b], [d]);
    expect(merged.map((e) => e.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(merged.find((e) => e.id === 'a')!.message).toBe('live');
    expect(mergeEvents()).toEqual([]);
  });
});

describe('the event types', () => {
  it('group by their first part, in order', () => {
    const groups = groupedTypes(['login.success', 'login.failure', 'logout', 'token.issued']);
    expect(groups).toEqual([
      { group: 'login', types: ['login.success', 'login.failure'] },
      { group: 'logout', types: ['logout'] },
      { group: 'token', types: ['token.issued'] },
    ]);
    expect(groupedTypes().flatMap((g) => g.types)).toEqual([...AUDIT_EVENT_TYPES]);
  });
});
