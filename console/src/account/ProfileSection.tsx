/**
 * The profile on the account page: the username (fixed) and the email address (EmailSection)
 * as they are, then the fields the user changes themselves (`updateMe`, UpdateMeInput). Problems
 * go beside their field (aria-describedby, Field.tsx) and the first one takes the focus.
 */
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { TextField } from '../components/Field';
import { ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import type { AccountUserFragment } from '../gql/graphql';
import { problemOf } from '../graphql/problems';
import { useFormState } from '../components/useFormState';
import { UsersStatus } from '../pages/users/UsersStatus';
import { EmailSection } from './EmailSection';
import { formProblems } from './forms';
import { PROFILE_FIELDS, profileFormOf, profileInput, validateProfile, type ProfileForm } from './profile-form';

export const AccountUser = graphql(`
  fragment AccountUser on PublicUser {
    id
    username
    email
    emailVerified
    givenName
    familyName
    locale
    picture
  }
`);

const UpdateMeMutation = graphql(`
  mutation AccountUpdateMe($input: UpdateMeInput!) {
    updateMe(input: $input) {
      ...AccountUser
    }
  }
`);

export function ProfileSection({ user }: { user: AccountUserFragment }) {
  // What the form was loaded with: only what differs from it is sent.
  const [original, setOriginal] = useState<ProfileForm>(() => profileFormOf(user));
  const { form, setForm, set, errors, setErrors, problem, setProblem, status, setStatus, formRef, begin } = useFormState<ProfileForm>(original);
  const [{ fetching }, updateMe] = useMutation(UpdateMeMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    begin();
    const local = validateProfile(form);
    if (Object.keys(local).length > 0) return setErrors(local);
    const changes = profileInput(original, form);
    if (Object.keys(changes).length === 0) {
      setErrors({});
      return setStatus('Nothing changed.');
    }
    const result = await updateMe({ input: changes });
    const updated = result.data?.updateMe;
    if (!updated) {
      const refused = formProblems(problemOf(result.error), PROFILE_FIELDS);
      setErrors(refused.fields);
      return setProblem(refused.problem);
    }
    const saved = profileFormOf(updated);
    setOriginal(saved);
    setForm(saved);
    setErrors({});
    setStatus('Profile saved. Applications see it at their next sign-in.');
  };

  return (
    <section aria-labelledby="account-profile">
      <h2 id="account-profile">Profile</h2>
      <dl className="props">
        <dt>Username</dt>
        <dd>
          <strong>{user.username}</strong>
        </dd>
      </dl>
      <EmailSection user={user} />
      <ProblemMessage problem={problem} />
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)} aria-label="Profile">
        <div className="pair">
          <TextField label="Given name" name="givenName" autoComplete="given-name" value={form.givenName} onChange={(e) => set('givenName')(e.target.value)} error={errors.givenName} />
          <TextField label="Family name" name="familyName" autoComplete="family-name" value={form.familyName} onChange={(e) => set('familyName')(e.target.value)} error={errors.familyName} />
        </div>
        <div className="pair">
          <TextField label="Language" name="locale" autoComplete="language" spellCheck={false} value={form.locale} onChange={(e) => set('locale')(e.target.value)} error={errors.locale} hint="A language tag, such as en or pt-BR." />
          <TextField label="Picture URL" type="url" name="picture" autoComplete="photo" spellCheck={false} value={form.picture} onChange={(e) => set('picture')(e.target.value)} error={errors.picture} hint="The address of a picture of you (https://…)." />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? 'Saving…' : 'Save profile'}
          </button>
        </div>
        <UsersStatus message={status} />
      </form>
    </section>
  );
}
