/**
 * Audit events: those kept in PostgreSQL (`auditEvents(filter, first, after)`, newest first,
 * older ones a page at a time) and, on top, those that happen while the page is open (the
 * `auditEvents(types)` subscription over graphql-ws, src/graphql/audit-events-resolver.ts),
 * matched against the same filter here (audit/filter.ts). docs/CONSOLE.md.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useClient, useQuery, useSubscription } from 'urql';
import { Loading, ProblemMessage } from '../components/Feedback';
import { TextField } from '../components/Field';
import { graphql } from '../gql';
import { problemOf, type Problem } from '../graphql/problems';
import { useSocketStatus } from '../graphql/socket-status';
import { useRouter } from '../router';
import { AuditTable, type AuditTableEvent } from './audit-table';
import { AUDIT_EVENT_TYPES, groupedTypes } from './audit/events';
import { EMPTY_FORM, filterKey, fromSearch, matchesFilter, mergeEvents, periodOver, toFilter, toForm, toSearch, type AuditFilter, type AuditFilterForm } from './audit/filter';
import './audit/audit.css';

const PAGE = 20;
/** Live events kept at most; older ones are in the pages of the query. */
const MAX_LIVE = 500;

const AuditEventsQuery = graphql(`
  query ConsoleAuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      edges {
        node {
          ...AuditEventRow
          details
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const AuditLiveSubscription = graphql(`
  subscription ConsoleAuditLive($types: [String!]) {
    auditEvents(types: $types) {
      ...AuditEventRow
      details
    }
  }
`);

export function AuditPage() {
  const { search, navigate } = useRouter();
  const query = search.toString();
  // The applied filter lives in the URL: a filtered view can be linked and survives a reload.
  const applied = useMemo(() => fromSearch(new URLSearchParams(query), AUDIT_EVENT_TYPES), [query]);
  const [form, setForm] = useState<AuditFilterForm>(() => toForm(applied));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [paused, setPaused] = useState(false);
  /** Bumped to start the list afresh: after a pause, or to reconnect. */
  const [generation, setGeneration] = useState(0);
  // Back and forward step through the filters applied: the form follows the URL.
  useEffect(() => {
    setForm(toForm(applied));
    setErrors({});
  }, [applied]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const { filter, errors } = toFilter(form);
    setErrors(errors);
    if (Object.keys(errors).length > 0) return;
    navigate(`/audit${toSearch(filter)}`);
  };
  const clear = () => {
    setForm(EMPTY_FORM);
    setErrors({});
    if (query) navigate('/audit');
  };
  const set = <K extends keyof AuditFilterForm>(key: K, value: AuditFilterForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  return (
    <>
      <h1>Audit events</h1>
      <form className="audit-filter" aria-label="Filter audit events" onSubmit={apply} noValidate>
        <TypesField value={form.types} onChange={(v) => set('types', v)} />
        <div className="audit-filter-fields">
          <TextField label="Actor" name="actor" value={form.actor} onChange={(e) => set('actor', e.target.value)} hint="A user id, a client id, or schedule." autoComplete="off" spellCheck={false} />
          <TextField label="Client" name="client" value={form.client} onChange={(e) => set('client', e.target.value)} hint="A client_id." autoComplete="off" spellCheck={false} />
          <TextField label="Since" name="since" type="datetime-local" step={1} value={form.since} onChange={(e) => set('since', e.target.value)} error={errors.since} hint="From this time on, your time zone." />
          <TextField label="Until" name="until" type="datetime-local" step={1} value={form.until} onChange={(e) => set('until', e.target.value)} error={errors.until} hint="Before this time." />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filter
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      <AuditResults
        key={`${filterKey(applied)}#${generation}`}
        filter={applied}
        paused={paused}
        onPause={() => setPaused(true)}
        onResume={() => {
          setPaused(false);
          setGeneration((g) => g + 1);
        }}
        onReconnect={() => setGeneration((g) => g + 1)}
      />
    </>
  );
}

/** The event types as checkboxes, grouped by their first part, inside a disclosure (22 of them). */
function TypesField({ value, onChange }: { value: string[]; onChange(value: string[]): void }) {
  const id = useId();
  const chosen = value.length === 0 ? 'all' : value.length <= 2 ? value.join(', ') : `${value.length} chosen`;
  return (
    <details className="audit-types" open={value.length > 0 ? true : undefined}>
      <summary>
        Event types: <span>{chosen}</span>
      </summary>
      <fieldset className="field" aria-describedby={`${id}-hint`}>
        <legend>Event types</legend>
        <span className="hint" id={`${id}-hint`}>
          None chosen: every type.
        </span>
        {groupedTypes().map((g) => (
          <div key={g.group} className="audit-type-group">
            {g.types.map((t) => (
              <label key={t} className="choice">
                <input type="checkbox" checked={value.includes(t)} onChange={(e) => onChange(e.target.checked ? [...value, t] : value.filter((v) => v !== t))} />
                {t}
              </label>
            ))}
          </div>
        ))}
      </fieldset>
    </details>
  );
}

function AuditResults({ filter, paused, onPause, onResume, onReconnect }: { filter: AuditFilter; paused: boolean; onPause(): void; onResume(): void; onReconnect(): void }) {
  const client = useClient();
  const variables = useMemo(() => ({ filter, first: PAGE }), [filter]);
  const [{ data, error, fetching }, reload] = useQuery({ query: AuditEventsQuery, variables, requestPolicy: 'network-only' });
  // Dropped, and graphql-ws is trying again: said at once, before its retries run out; once
  // back, the newest page again, for what happened in between.
  const socket = useSocketStatus();
  const wasReconnecting = useRef(false);
  useEffect(() => {
    if (socket === 'reconnecting') wasReconnecting.current = true;
    else if (socket === 'connected' && wasReconnecting.current) {
      wasReconnecting.current = false;
      reload({ requestPolicy: 'network-only' });
    }
  }, [socket, reload]);
  const reconnecting = socket === 'reconnecting';
  const [older, setOlder] = useState<{ events: AuditTableEvent[]; hasNextPage: boolean; endCursor: string | null }>();
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderProblem, setOlderProblem] = useState<Problem>();
  const [olderNote, setOlderNote] = useState('');

  // Nothing new can match a period that has ended: no live updates then.
  const [over, setOver] = useState(() => periodOver(filter, Date.now()));
  useEffect(() => {
    const until = filter.until;
    if (over || !until) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // setTimeout waits at most 2^31 − 1 ms (about 24 days): wait in steps until then.
    const check = () => {
      const left = Date.parse(until) - Date.now();
      if (left <= 0) setOver(true);
      else timer = setTimeout(check, Math.min(2 ** 31 - 1, left));
    };
    check();
    return () => clearTimeout(timer);
  }, [filter.until, over]);

  const types = filter.types ?? null;
  const [live] = useSubscription({ query: AuditLiveSubscription, variables: { types }, pause: paused || over }, (prev: AuditTableEvent[] = [], d) => [d.auditEvents, ...prev].slice(0, MAX_LIVE));
  // Kept apart from the subscription's state, which an error empties: a lost connection must
  // not take the events already shown off the page.
  const [kept, setKept] = useState<AuditTableEvent[]>([]);
  useEffect(() => {
    if (live.data?.length) setKept((k) => mergeEvents(live.data ?? [], k).slice(0, MAX_LIVE));
  }, [live.data]);
  const liveEvents = useMemo(() => kept.filter((e) => matchesFilter(e, filter)), [kept, filter]);
  const fresh = useMemo(() => new Set(liveEvents.map((e) => e.id)), [liveEvents]);

  const first = data?.auditEvents;
  const events = mergeEvents(
    liveEvents,
    first?.edges.map((e) => e.node) ?? [],
    older?.events ?? [],
  );
  const more = older ?? (first ? { hasNextPage: first.pageInfo.hasNextPage, endCursor: first.pageInfo.endCursor ?? null } : undefined);

  const loadOlder = async () => {
    if (!more?.endCursor) return;
    setLoadingOlder(true);
    setOlderProblem(undefined);
    const result = await client.query(AuditEventsQuery, { filter, first: PAGE, after: more.endCursor }, { requestPolicy: 'network-only' }).toPromise();
    setLoadingOlder(false);
    if (result.error || !result.data) {
      setOlderProblem(problemOf(result.error) ?? { message: 'No answer from the server.', fields: {}, offline: true, sessionEnded: false });
      return;
    }
    const page = result.data.auditEvents;
    const added = page.edges.map((e) => e.node);
    setOlder((o) => ({ events: [...(o?.events ?? []), ...added], hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor ?? null }));
    setOlderNote(`${added.length} older ${added.length === 1 ? 'event' : 'events'} added at the end.`);
  };

  const problem = problemOf(error);
  const fieldProblems = problem ? Object.values(problem.fields) : [];
  const liveLost = !!live.error;
  const status = over
    ? 'Not live: the chosen period has ended.'
    : paused
      ? 'Live updates paused: new events are not added. Resume to catch up.'
      : liveLost
        ? `Live updates stopped: the connection to the server was lost${live.error?.graphQLErrors.length ? ` (${live.error.graphQLErrors[0].message})` : ''}. Reconnect to continue.`
        : reconnecting
          ? 'Live updates interrupted: the connection to the server dropped. Reconnecting…'
          : `Live: new events appear at the top as they happen.${liveEvents.length ? ` ${liveEvents.length} new since the list loaded.` : ''}`;
  const connected = !over && !paused && !liveLost && !reconnecting;

  return (
    <section aria-labelledby="audit-results" className="audit-results">
      <div className="audit-results-head">
        <h2 id="audit-results">Events</h2>
        <p role="status" className={`audit-live ${connected ? 'audit-live-on' : 'audit-live-off'}`}>
          <span className="audit-live-dot" aria-hidden="true" />
          {status}
        </p>
        {over ? null : paused ? (
          <button type="button" onClick={onResume}>
            Resume live updates
          </button>
        ) : liveLost ? (
          <button type="button" onClick={onReconnect}>
            Reconnect
          </button>
        ) : (
          <button type="button" onClick={onPause}>
            Pause live updates
          </button>
        )}
      </div>
      <ProblemMessage problem={problem} />
      {fieldProblems.length > 0 ? (
        <div className="notice error" role="alert">
          {fieldProblems.join(' ')}
        </div>
      ) : null}
      {fetching && !data ? <Loading what="the audit events" /> : null}
      {data ? <AuditTable events={events} caption="Audit events, newest first" fresh={fresh} empty={Object.keys(filter).length ? 'No events match this filter.' : 'No audit events.'} /> : null}
      {data ? (
        <div className="audit-more">
          {more?.hasNextPage ? (
            <button type="button" onClick={() => void loadOlder()} disabled={loadingOlder}>
              {loadingOlder ? 'Loading older events…' : 'Older events'}
            </button>
          ) : events.length > 0 ? (
            <p className="muted">No older events{Object.keys(filter).length ? ' match this filter' : ''}.</p>
          ) : null}
          <span role="status" className="muted">
            {olderNote}
          </span>
        </div>
      ) : null}
      <ProblemMessage problem={olderProblem} />
    </section>
  );
}
