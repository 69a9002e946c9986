/**
 * The user's live sessions at the provider (`Me.sessions`): each browser where they are signed
 * in, by device, address and time, this browser marked. Signing another one out
 * (`endMySession`) makes it sign in again; what its applications were given stays — removing an
 * application is below. This browser signs out with the button at the top (RP-initiated logout).
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmButton } from '../components/ConfirmButton';
import { Empty, ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import type { AccountSessionFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { UsersStatus } from '../pages/users/UsersStatus';
import { useFocusAfterChange } from './focus';
import { deviceSummary } from './user-agent';

export const AccountSession = graphql(`
  fragment AccountSession on MySession {
    id
    createdAt
    authTime
    expiresAt
    current
    userAgent
    ip
  }
`);

const EndSessionMutation = graphql(`
  mutation AccountEndSession($id: ID!) {
    endMySession(id: $id)
  }
`);

/** "Chrome on Linux, 192.0.2.7": what names a session for a person. */
export function sessionName(session: Pick<AccountSessionFragment, 'userAgent' | 'ip'>): string {
  return [deviceSummary(session.userAgent), session.ip].filter(Boolean).join(', ');
}

export function SessionsSection({ sessions, onChanged }: { sessions: readonly AccountSessionFragment[]; onChanged(): void }) {
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [, endMySession] = useMutation(EndSessionMutation);
  const heading = useFocusAfterChange(sessions);

  const end = async (session: AccountSessionFragment) => {
    setProblem(undefined);
    setStatus(undefined);
    const result = await endMySession({ id: session.id });
    if (!result.data?.endMySession) return setProblem(problemOf(result.error));
    setStatus(`Signed out ${sessionName(session)}: that browser must sign in again.`);
    heading.focusNext();
    onChanged();
  };

  return (
    <section aria-labelledby="account-sessions">
      <h2 id="account-sessions" ref={heading.ref} tabIndex={-1}>
        Sessions
      </h2>
      <p className="hint">The browsers where you are signed in. Sign out any you do not recognise, and change your password.</p>
      <ProblemMessage problem={problem} />
      <UsersStatus message={status} />
      {sessions.length === 0 ? (
        <Empty>No sessions.</Empty>
      ) : (
        <ul className="account-list" aria-label="Sessions">
          {sessions.map((s) => (
            <li key={s.id} className={s.current ? 'account-current' : undefined}>
              <h3>
                {deviceSummary(s.userAgent)} {s.current ? <span className="badge account-this">This browser</span> : null}
              </h3>
              <dl className="props">
                <dt>Address</dt>
                <dd>{s.ip ?? 'Unknown'}</dd>
                <dt>Signed in</dt>
                <dd>{formatTime(s.authTime)}</dd>
                <dt>Until</dt>
                <dd>{formatTime(s.expiresAt)}</dd>
              </dl>
              {s.current ? (
                <p className="hint">To sign out here, use Sign out at the top of the page.</p>
              ) : (
                <ConfirmButton label="Sign out" accessibleName={`Sign out ${sessionName(s)}`} title={`Sign out ${sessionName(s)}?`} confirmLabel="Sign out" onConfirm={() => end(s)}>
                  <p>That browser must sign in again. Applications you signed in to there keep their access until you remove it below.</p>
                </ConfirmButton>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
