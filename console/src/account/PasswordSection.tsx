/**
 * Changing one's own password (`changeMyPassword`, docs/ACCOUNTS.md "Changing the password"):
 * the current one, the new one twice, and whether to sign out everywhere else (checked by
 * default, as the API's `endOtherSessions`). A wrong current password is said beside that
 * field; too many wrong ones, with the wait, above the form.
 */
import type { FormEvent } from 'react';
import { useMutation } from 'urql';
import { CheckboxField, TextField } from '../components/Field';
import { ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import { problemOf } from '../graphql/problems';
import { useFormState } from '../components/useFormState';
import { UsersStatus } from '../pages/users/UsersStatus';
import { emptyPasswordForm, passwordProblems, validatePassword, type PasswordForm } from './password-form';

const ChangePasswordMutation = graphql(`
  mutation AccountChangePassword($currentPassword: String!, $newPassword: String!, $endOtherSessions: Boolean!) {
    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword, endOtherSessions: $endOtherSessions)
  }
`);

export function PasswordSection({ username, onChanged }: { username: string; onChanged(): void }) {
  const { form, setForm, set, errors, setErrors, problem, setProblem, status, setStatus, formRef, begin } = useFormState<PasswordForm>(emptyPasswordForm);
  const [{ fetching }, changeMyPassword] = useMutation(ChangePasswordMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    begin();
    const local = validatePassword(form);
    if (Object.keys(local).length > 0) return setErrors(local);
    const result = await changeMyPassword({ currentPassword: form.current, newPassword: form.next, endOtherSessions: form.endOthers });
    if (!result.data?.changeMyPassword) {
      const refused = passwordProblems(problemOf(result.error));
      setErrors(refused.fields);
      return setProblem(refused.problem);
    }
    setErrors({});
    setForm({ ...emptyPasswordForm, endOthers: form.endOthers });
    setStatus(form.endOthers ? 'Password changed. You are signed out everywhere else, and applications must sign you in again.' : 'Password changed.');
    // Sessions and applications ended with it: the lists below change.
    if (form.endOthers) onChanged();
  };

  return (
    <section aria-labelledby="account-password">
      <h2 id="account-password">Password</h2>
      <ProblemMessage problem={problem} />
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)} aria-label="Change password">
        {/* For password managers: whose password this is (hidden, not announced). */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={form.current} onChange={(e) => set('current')(e.target.value)} error={errors.current} />
        <div className="pair">
          <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" value={form.next} onChange={(e) => set('next')(e.target.value)} error={errors.next} hint="8 to 1024 characters." />
          <TextField label="New password again" name="newPasswordAgain" type="password" autoComplete="new-password" value={form.again} onChange={(e) => set('again')(e.target.value)} error={errors.again} />
        </div>
        <CheckboxField
          label="Sign me out everywhere else"
          checked={form.endOthers}
          onChange={(endOthers) => setForm((f) => ({ ...f, endOthers }))}
          hint="Your other browsers must sign in again, and applications lose the access they have now. This page stays signed in."
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? 'Changing…' : 'Change password'}
          </button>
        </div>
        <UsersStatus message={status} />
      </form>
    </section>
  );
}
