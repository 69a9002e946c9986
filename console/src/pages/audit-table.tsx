/** Audit events as a table (the overview and the audit page). */
import { ScrollTable } from '../components/ScrollTable';
import { graphql } from '../gql';
import type { AuditEventRowFragment } from '../gql/graphql';
import { formatTime } from '../graphql/problems';

export const AuditEventRow = graphql(`
  fragment AuditEventRow on AuditEvent {
    id
    time
    event
    outcome
    actor
    client
    ip
    message
  }
`);

/** A row, with the event's other fields when the query asked for them. */
export type AuditTableEvent = AuditEventRowFragment & { details?: Record<string, unknown> | null };

/** The other fields of an event, one `name: value` line each (values as JSON), for a compact <details>. */
export function detailLines(details: Record<string, unknown> | null | undefined): string[] {
  if (!details) return [];
  return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

export function AuditTable({ events, caption, fresh, empty = 'No audit events.' }: { events: readonly AuditTableEvent[]; caption: string; fresh?: ReadonlySet<string>; empty?: string }) {
  if (events.length === 0) return <p className="muted">{empty}</p>;
  const withDetails = events.some((e) => e.details !== undefined);
  return (
    // Focusable, so that a keyboard can scroll it on a narrow screen.
    <ScrollTable label={caption} caption={caption} className="audit-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Outcome</th>
            <th scope="col">Actor</th>
            <th scope="col">Client</th>
            <th scope="col">Address</th>
            <th scope="col">Message</th>
            {withDetails ? <th scope="col">Details</th> : null}
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const lines = detailLines(e.details);
            const classes = [e.outcome === 'success' ? '' : `outcome-${e.outcome}`, fresh?.has(e.id) ? 'audit-fresh' : ''].filter(Boolean).join(' ');
            return (
              <tr key={e.id} className={classes || undefined}>
                <td>
                  <time dateTime={e.time}>{formatTime(e.time)}</time>
                  {fresh?.has(e.id) ? <span className="badge audit-new">new</span> : null}
                </td>
                <td>
                  <code>{e.event}</code>
                </td>
                <td>{e.outcome}</td>
                <td>{e.actor ? <code>{e.actor}</code> : '—'}</td>
                <td>{e.client ? <code>{e.client}</code> : '—'}</td>
                <td>{e.ip ?? '—'}</td>
                <td>{e.message}</td>
                {withDetails ? (
                  <td>
                    {lines.length > 0 ? (
                      <details className="audit-details">
                        <summary>
                          {lines.length} {lines.length === 1 ? 'field' : 'fields'}
                        </summary>
                        <pre>{lines.join('\n')}</pre>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
    </ScrollTable>
  );
}
