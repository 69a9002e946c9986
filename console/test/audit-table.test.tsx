/** The audit events table of the overview and the audit page: its columns, the details, new rows. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AuditTable, detailLines, type AuditTableEvent } from '../src/pages/audit-table';

const base: AuditTableEvent = { id: 'e1', time: '2025-03-10T10:00:00.000Z', event: 'login.failure', outcome: 'failure', actor: null, client: 'portal', ip: '203.0.113.7', message: 'login failed' };

describe('the audit table', () => {
  it('as the overview uses it: no details column when the query did not ask for details', () => {
    const html = renderToStaticMarkup(<AuditTable events={[base]} caption="The last audit events" />);
    expect(html.match(/<th scope="col">/g)).toHaveLength(7);
    expect(html).not.toContain('Details');
    expect(html).toContain('<tr class="outcome-failure">');
    expect(html).toContain('aria-label="The last audit events" tabindex="0"');
  });

  it('shows each event\'s other fields in a <details>, one line each, values as JSON', () => {
    const html = renderToStaticMarkup(
      <AuditTable
        events={[
          { ...base, details: { username: 'k3Jd9a', attempts: 2, fields: ['createUser'] } },
          { ...base, id: 'e2', outcome: 'success', details: {} },
        ]}
        caption="Audit events"
      />,
    );
    expect(html.match(/<th scope="col">/g)).toHaveLength(8);
    expect(html).toContain('<details class="audit-details"><summary>3 fields</summary><pre>username: k3Jd9a\nattempts: 2\nfields: [&quot;createUser&quot;]</pre></details>');
    // An event without other fields says so without a disclosure.
    expect(html.match(/<details/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('marks events that arrived live as new, in words too', () => {
    const html = renderToStaticMarkup(<AuditTable events={[base, { ...base, id: 'e2' }]} caption="Audit events" fresh={new Set(['e2'])} />);
    expect(html.match(/audit-fresh/g)).toHaveLength(1);
    expect(html.match(/>new</g)).toHaveLength(1);
  });

  it('says why it is empty', () => {
    expect(renderToStaticMarkup(<AuditTable events={[]} caption="x" />)).toBe('<p class="muted">No audit events.</p>');
    expect(renderToStaticMarkup(<AuditTable events={[]} caption="x" empty="No events match this filter." />)).toContain('No events match this filter.');
  });

  it('writes details as name: value lines', () => {
    expect(detailLines({ a: 'x', b: { c: 1 }, d: null })).toEqual(['a: x', 'b: {"c":1}', 'd: null']);
    expect(detailLines(null)).toEqual([]);
  });
});
