/**
 * A user's live sessions at the provider and their grants (docs/CONSOLE.md). Ending a session
 * makes that browser sign in again, its grants stay; revoking a grant stops its refresh and
 * access tokens at once (schema/schema.graphql, revokeGrant).
 */
import { ScrollTable } from '../../components/ScrollTable';
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Empty, ProblemMessage } from '../../components/Feedback';
import { graphql } from '../../gql';
import type { ConsoleUsersGrantFragment, ConsoleUsersSessionFragment } from '../../gql/graphql';
import { formatTime, problemOf, type Problem } from '../../graphql/problems';
import { Link } from '../../router';
import { grantStatus, shortId } from './form';
import { UsersStatus } from './UsersStatus';

export const UsersSession = graphql(`
  fragment ConsoleUsersSession on Session {
    id
    createdAt
    authTime
    amr
    expiresAt
  }
`);

export const UsersGrant = graphql(`
  fragment ConsoleUsersGrant on Grant {
    id
    clientId
    scopes
    createdAt
    expiresAt
    refreshCount
    active
    revokedAt
  }
`);

const RevokeSessionMutation = graphql(`
  mutation ConsoleUsersRevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`);

const RevokeGrantMutation = graphql(`
  mutation ConsoleUsersRevokeGrant($id: ID!) {
    revokeGrant(id: $id) {
      ...ConsoleUsersGrant
    }
  }
`);

/** What comes back from an action: a problem, or what to say. */
interface Outcome {
  problem?: Problem;
  status?: string;
}

export function SessionsSection({ sessions, onChanged }: { sessions: readonly ConsoleUsersSessionFragment[]; onChanged(): void }) {
  const [outcome, setOutcome] = useState<Outcome>({});
  const [, revokeSession] = useMutation(RevokeSessionMutation);
  const end = async (id: string) => {
    setOutcome({});
    const result = await revokeSession({ id });
    if (!result.data?.revokeSession) return setOutcome({ problem: problemOf(result.error) });
    setOutcome({ status: `Session ${shortId(id)} ended: that browser must sign in again.` });
    // The answer is a Boolean, which names no type for the cache to refetch by.
    onChanged();
  };
  return (
    <section aria-labelledby="users-sessions">
      <h2 id="users-sessions">Sessions</h2>
      <p className="hint">Browsers signed in at this provider. Ending one makes that browser sign in again; the grants it gave apps stay.</p>
      <ProblemMessage problem={outcome.problem} />
      <UsersStatus message={outcome.status} />
      {sessions.length === 0 ? <Empty>No live sessions.</Empty> : <SessionsTable sessions={sessions} onEnd={end} />}
    </section>
  );
}

export function SessionsTable({ sessions, onEnd }: { sessions: readonly ConsoleUsersSessionFragment[]; onEnd(id: string): Promise<unknown> }) {
  return (
    <ScrollTable label="Sessions" caption="Live sessions">
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Started</th>
            <th scope="col">Authenticated</th>
            <th scope="col">Methods</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>
                <code>{shortId(s.id)}</code>
              </td>
              <td className="users-time">{formatTime(s.createdAt)}</td>
              <td className="users-time">{formatTime(s.authTime)}</td>
              <td>{s.amr.length ? s.amr.join(', ') : '—'}</td>
              <td className="users-time">{formatTime(s.expiresAt)}</td>
              <td>
                <ConfirmButton label="End session" accessibleName={`End session ${shortId(s.id)}`} title={`End session ${shortId(s.id)}?`} confirmLabel="End session" onConfirm={() => onEnd(s.id)}>
                  <p>That browser must sign in again. The grants it gave apps stay: revoke them below.</p>
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}

export function GrantsSection({ grants }: { grants: readonly ConsoleUsersGrantFragment[] }) {
  const [outcome, setOutcome] = useState<Outcome>({});
  // The answer is a Grant: the cache refetches the page's query, which lists grants, by itself.
  const [, revokeGrant] = useMutation(RevokeGrantMutation);
  const revoke = async (grant: ConsoleUsersGrantFragment) => {
    setOutcome({});
    const result = await revokeGrant({ id: grant.id });
    if (!result.data?.revokeGrant) return setOutcome({ problem: problemOf(result.error) });
    setOutcome({ status: `Grant for ${grant.clientId} revoked: its refresh and access tokens no longer work.` });
  };
  return (
    <section aria-labelledby="users-grants">
      <h2 id="users-grants">Grants</h2>
      <p className="hint">What the user allowed each app, with the tokens that follow from it; newest first.</p>
      <ProblemMessage problem={outcome.problem} />
      <UsersStatus message={outcome.status} />
      {grants.length === 0 ? <Empty>No grants.</Empty> : <GrantsTable grants={grants} onRevoke={revoke} />}
    </section>
  );
}

const STATUS_WORDS = { active: 'Active', revoked: 'Revoked', expired: 'Expired' } as const;

export function GrantsTable({ grants, onRevoke, now }: { grants: readonly ConsoleUsersGrantFragment[]; onRevoke(grant: ConsoleUsersGrantFragment): Promise<unknown>; now?: number }) {
  return (
    <ScrollTable label="Grants" caption="Grants, newest first">
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Scopes</th>
            <th scope="col">Granted</th>
            <th scope="col">Expires</th>
            <th scope="col">Refreshes</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {grants.map((g) => {
            const status = grantStatus(g, now);
            return (
              <tr key={g.id} className={`users-grant-${status}`}>
                <td>
                  <Link to={`/clients/${encodeURIComponent(g.clientId)}`}>
                    <code>{g.clientId}</code>
                  </Link>
                </td>
                <td>{g.scopes.join(' ')}</td>
                <td className="users-time">{formatTime(g.createdAt)}</td>
                <td className="users-time">{formatTime(g.expiresAt)}</td>
                <td>{g.refreshCount}</td>
                <td>
                  <span className={`badge users-${status}`}>{STATUS_WORDS[status]}</span>
                  {status === 'revoked' ? <span className="muted users-time"> {formatTime(g.revokedAt)}</span> : null}
                </td>
                <td>
                  {status === 'active' ? (
                    <ConfirmButton label="Revoke" accessibleName={`Revoke grant ${shortId(g.id)} for ${g.clientId}`} title={`Revoke grant ${shortId(g.id)} for ${g.clientId}?`} confirmLabel="Revoke grant" onConfirm={() => onRevoke(g)}>
                      <p>The app&apos;s refresh and access tokens stop working at once; the user must sign in to it again. This cannot be undone.</p>
                    </ConfirmButton>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
    </ScrollTable>
  );
}
