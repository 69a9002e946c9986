/**
 * The applications with access to the user's account (`Me.connectedApps`): what each may do, in
 * the words of the consent page, since when and when it last got tokens. "Remove access"
 * (`revokeMyGrant`) revokes its grants — its refresh and access tokens stop working at once — and
 * forgets the consent, so that it asks again (docs/ACCOUNTS.md; docs/SECURITY.md AC-09). The
 * service's own pages (the console, this page) are not listed: they are how the user gets here.
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { describeScope } from '../../../src/interaction/views/scope-words';
import { ConfirmButton } from '../components/ConfirmButton';
import { Empty, ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import type { AccountAppFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { UsersStatus } from '../pages/users/UsersStatus';
import { serviceClientOwner } from '../service-clients';
import { useFocusAfterChange } from './focus';

export const AccountApp = graphql(`
  fragment AccountApp on ConnectedApp {
    clientId
    clientName
    clientUri
    scopes
    firstGrantedAt
    lastUsedAt
    activeGrants
  }
`);

const RevokeMutation = graphql(`
  mutation AccountRevokeApp($clientId: ID!) {
    revokeMyGrant(clientId: $clientId)
  }
`);

/** The applications a person may remove: not the service's own. */
export function removableApps<T extends { clientId: string }>(apps: readonly T[]): T[] {
  return apps.filter((a) => serviceClientOwner(a.clientId) === undefined);
}

/** A home page to link to: http(s) only (the registration checks it too; a link never runs script). */
export function homePage(uri: string | null | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    return ['https:', 'http:'].includes(new URL(uri).protocol) ? uri : undefined;
  } catch {
    return undefined;
  }
}

/** What the application may do, in words, each once (openid alone says nothing a person can weigh). */
export function accessInWords(scopes: readonly string[]): string[] {
  return [...new Set(scopes.map(describeScope))];
}

export function AppsSection({ apps, onChanged }: { apps: readonly AccountAppFragment[]; onChanged(): void }) {
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [, revokeMyGrant] = useMutation(RevokeMutation);
  const shown = removableApps(apps);
  const heading = useFocusAfterChange(apps);

  const remove = async (app: AccountAppFragment) => {
    setProblem(undefined);
    setStatus(undefined);
    const result = await revokeMyGrant({ clientId: app.clientId });
    if (!result.data?.revokeMyGrant) return setProblem(problemOf(result.error));
    setStatus(`${app.clientName} no longer has access to your account.`);
    heading.focusNext();
    onChanged();
  };

  return (
    <section aria-labelledby="account-apps">
      <h2 id="account-apps" ref={heading.ref} tabIndex={-1}>
        Connected applications
      </h2>
      <p className="hint">Applications you allowed to use your account.</p>
      <ProblemMessage problem={problem} />
      <UsersStatus message={status} />
      {shown.length === 0 ? (
        <Empty>No application has access to your account.</Empty>
      ) : (
        <ul className="account-list" aria-label="Connected applications">
          {shown.map((app) => {
            const home = homePage(app.clientUri);
            return (
              <li key={app.clientId}>
                <h3>{home ? <a href={home} rel="noopener noreferrer">{app.clientName}</a> : app.clientName}</h3>
                <p className="account-can">It can:</p>
                <ul className="account-scopes">
                  {accessInWords(app.scopes).map((words) => (
                    <li key={words}>{words}</li>
                  ))}
                </ul>
                <dl className="props">
                  <dt>Since</dt>
                  <dd>{formatTime(app.firstGrantedAt)}</dd>
                  <dt>Last used</dt>
                  <dd>{formatTime(app.lastUsedAt)}</dd>
                </dl>
                <ConfirmButton label="Remove access" accessibleName={`Remove access for ${app.clientName}`} title={`Remove access for ${app.clientName}?`} confirmLabel="Remove access" onConfirm={() => remove(app)}>
                  <p>{app.clientName} can no longer use your account: the tokens it holds stop working at once, and it must ask for your permission again next time.</p>
                </ConfirmButton>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
