/**
 * The user's email address on the account page: shown with whether it is confirmed (the
 * `email_verified` claim, OIDC Core §5.1), and changed through `changeMyEmail` (docs/ACCOUNTS.md
 * "Changing the email address"), apart from the profile form since it is not an `updateMe`
 * field: a link goes to the new address, and the account keeps the old one until it is opened.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { TextField } from '../components/Field';
import { ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import type { AccountUserFragment } from '../gql/graphql';
import { problemOf } from '../graphql/problems';
import { useFormState } from '../components/useFormState';
import { UsersStatus } from '../pages/users/UsersStatus';
import { emailChangeProblems, emptyEmailForm, validateEmailChange, type EmailForm } from './email-form';
import { FormActions } from '../components/FormActions';

const ChangeEmailMutation = graphql(`
  mutation AccountChangeEmail($currentPassword: String!, $email: String!) {
    changeMyEmail(currentPassword: $currentPassword, email: $email)
  }
`);

export function EmailSection({ user }: { user: Pick<AccountUserFragment, 'username' | 'email' | 'emailVerified'> }) {
  const [open, setOpen] = useState(false);
  const { form, setForm, set, errors, setErrors, problem, setProblem, status, setStatus, formRef, begin } = useFormState<EmailForm>(emptyEmailForm);
  const [{ fetching }, changeMyEmail] = useMutation(ChangeEmailMutation);
  const toggleRef = useRef<HTMLButtonElement>(null);

  // Opened: focus the new address; closed again: back to the button that opened it.
  const opened = useRef(false);
  useEffect(() => {
    if (open) formRef.current?.querySelector<HTMLElement>('input[name="email"]')?.focus();
    else if (opened.current) toggleRef.current?.focus();
    opened.current = open;
  }, [open]);

  const close = () => {
    setOpen(false);
    setForm(emptyEmailForm);
    setErrors({});
    setProblem(undefined);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    begin();
    const local = validateEmailChange(form, user.email);
    if (Object.keys(local).length > 0) return setErrors(local);
    const email = form.email.trim();
    const result = await changeMyEmail({ currentPassword: form.current, email });
    if (!result.data?.changeMyEmail) {
      const refused = emailChangeProblems(problemOf(result.error));
      setErrors(refused.fields);
      return setProblem(refused.problem);
    }
    close();
    setStatus(`Check your mail at ${email}: open the link there to confirm the new address. Until then, your account keeps ${user.email ?? 'no address'}.`);
  };

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
      <UsersStatus message={status} />
      {open ? (
        <form ref={formRef} noValidate onSubmit={(e) => void submit(e)} aria-label="Change email address">
          <ProblemMessage problem={problem} />
          {/* For password managers: whose password this is (hidden, not announced). */}
          <input type="text" name="username" autoComplete="username" value={user.username} readOnly hidden />
          <div className="pair">
            <TextField label="New email address" name="email" type="email" autoComplete="email" value={form.email} onChange={(e) => set('email')(e.target.value)} error={errors.email} hint="A link to confirm it goes there." />
            <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={form.current} onChange={(e) => set('current')(e.target.value)} error={errors.current} />
          </div>
          <FormActions label="Send the link" busyLabel="Sending…" busy={fetching} onCancel={close} />
        </form>
      ) : (
        <div className="actions">
          <button
            ref={toggleRef}
            type="button"
            onClick={() => {
              setStatus(undefined);
              setOpen(true);
            }}
          >
            Change email address
          </button>
        </div>
      )}
    </section>
  );
}
