/**
 * The user's email address on the account page: shown with whether it is confirmed (the
 * `email_verified` claim, OIDC Core §5.1). Read-only for now; changing the address (with a
 * confirmation mailed to the new one) belongs here, apart from the profile form, since it is
 * not an `updateMe` field.
 */
import type { AccountUserFragment } from '../gql/graphql';

export function EmailSection({ user }: { user: Pick<AccountUserFragment, 'email' | 'emailVerified'> }) {
  return (
    <section className="account-email" aria-labelledby="account-email">
      <h3 id="account-email">Email address</h3>
      {user.email ? (
        <p>
          <span className="account-address">{user.email}</span>{' '}
          <span className={`badge ${user.emailVerified ? 'account-verified' : 'account-unverified'}`}>{user.emailVerified ? 'Confirmed' : 'Not confirmed'}</span>
        </p>
      ) : (
        <p className="muted">No email address.</p>
      )}
    </section>
  );
}
