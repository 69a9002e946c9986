/** Overview: the counts, the signing keys with their next rotation, the last audit events. */
import { useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import { formatTime, problemOf } from '../graphql/problems';
import { Link } from '../router';
import { AuditTable } from './audit-table';

const OverviewQuery = graphql(`
  query ConsoleOverview {
    overview {
      users
      administrators
      clients
      activeSessions
      activeGrants
    }
    keyRotationStatus {
      family
      alg
      activeKid
      nextRotationAt
      keys {
        kid
        state
      }
    }
    auditEvents(first: 8) {
      edges {
        node {
          ...AuditEventRow
        }
      }
    }
  }
`);

export function OverviewPage() {
  const [{ data, error, fetching }] = useQuery({ query: OverviewQuery });
  return (
    <>
      <h1>Overview</h1>
      <ProblemMessage problem={problemOf(error)} />
      {fetching && !data ? <Loading what="the overview" /> : null}
      {data ? (
        <>
          <section aria-labelledby="counts">
            <h2 id="counts">Counts</h2>
            <dl className="counts">
              <Count label="Users" value={data.overview.users} to="/users" />
              <Count label="Administrators" value={data.overview.administrators} />
              <Count label="Clients" value={data.overview.clients} to="/clients" />
              <Count label="Active sessions" value={data.overview.activeSessions} />
              <Count label="Active grants" value={data.overview.activeGrants} />
            </dl>
          </section>
          <section aria-labelledby="keys">
            <h2 id="keys">Signing keys</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Family</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">Keys (pending / active / retired)</th>
                  <th scope="col">Next rotation</th>
                </tr>
              </thead>
              <tbody>
                {data.keyRotationStatus.map((f) => (
                  <tr key={f.family}>
                    <td>{f.family}</td>
                    <td>{f.alg ?? '—'}</td>
                    <td>
                      {['pending', 'active', 'retired'].map((s) => f.keys.filter((k) => k.state === s).length).join(' / ')}
                    </td>
                    <td>{formatTime(f.nextRotationAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              <Link to="/keys">Manage keys</Link>
            </p>
          </section>
          <section aria-labelledby="recent">
            <h2 id="recent">Recent audit events</h2>
            <AuditTable events={data.auditEvents.edges.map((e) => e.node)} caption="The last audit events" />
            <p>
              <Link to="/audit">All audit events</Link>
            </p>
          </section>
        </>
      ) : null}
    </>
  );
}

function Count({ label, value, to }: { label: string; value: number; to?: string }) {
  return (
    <div className="count">
      <dt>{to ? <Link to={to}>{label}</Link> : label}</dt>
      <dd>{value.toLocaleString()}</dd>
    </div>
  );
}
