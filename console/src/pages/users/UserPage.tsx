/**
 * One user (docs/CONSOLE.md): their profile and flags, their password, their live sessions and
 * grants, and deleting them. What each action ends is said before it is done, as the API
 * describes it (schema/schema.graphql): a new password or deactivation ends their sessions and
 * grants; deletion takes sessions, grants and tokens with the user.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TwoStepSection } from './TwoStepSection';
import { CheckboxField, TextField } from '../../components/Field';
import { Loading, ProblemMessage } from '../../components/Feedback';
import { graphql } from '../../gql';
import type { ConsoleUsersDetailFragment, ConsoleUsersGrantFragment, ConsoleUsersSessionFragment, ConsoleUsersTwoStepFragment } from '../../gql/graphql';
import { formatTime, problemOf, type Problem } from '../../graphql/problems';
import { Link, useRouter } from '../../router';
import { displayName, editFormOf, passwordProblem, splitFieldProblems, updateConsequences, updateInput, type EditUserForm } from './form';
import { leaveNotice } from './notice';
import { UserBadges } from './UsersBadges';
import { GrantsSection, SessionsSection } from './Sessions';
import { useArrivalNotice, UsersStatus } from './UsersStatus';

export const UserDetail = graphql(`
  fragment ConsoleUsersDetail on User {
    id
    username
    email
    emailVerified
    givenName
    familyName
    locale
    picture
    admin
    active
    hasPassword
    createdAt
    updatedAt
  }
`);

const UserQuery = graphql(`
  query ConsoleUsersUser($id: ID!) {
    me {
      sub
    }
    user(id: $id) {
      ...ConsoleUsersDetail
      ...ConsoleUsersTwoStep
    }
    sessions(userId: $id) {
      ...ConsoleUsersSession
    }
    grants(userId: $id) {
      ...ConsoleUsersGrant
    }
  }
`);

const UpdateUserMutation = graphql(`
  mutation ConsoleUsersUpdate($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) {
      ...ConsoleUsersDetail
    }
  }
`);

const SetPasswordMutation = graphql(`
  mutation ConsoleUsersSetPassword($id: ID!, $password: String) {
    setUserPassword(id: $id, password: $password) {
      ...ConsoleUsersDetail
    }
  }
`);

const DeleteUserMutation = graphql(`
  mutation ConsoleUsersDelete($id: ID!) {
    deleteUser(id: $id)
  }
`);

export function UserPage({ id }: { id: string }) {
  // A fresh page (forms, messages) for each user.
  return <UserView key={id} id={id} />;
}

function UserView({ id }: { id: string }) {
  const notice = useArrivalNotice(`/users/${id}`);
  const [{ data, error, fetching }, reexecute] = useQuery({ query: UserQuery, variables: { id } });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  const problem = problemOf(error);
  const notFound = (data && !data.user) || error?.graphQLErrors.some((e) => e.extensions?.code === 'NOT_FOUND');

  const user = data?.user;
  // One h1 from loading to loaded: the shell focuses it after the navigation (App.tsx, Main), and
  // a replaced element would drop that focus.
  return (
    <>
      <h1>{notFound ? 'No such user' : (user?.username ?? 'User')}</h1>
      {!notFound ? <ProblemMessage problem={problem} /> : null}
      {notFound ? <NoSuchUser id={id} /> : user ? <UserDetails user={user} self={data.me.sub === user.id} sessions={data.sessions} grants={data.grants} notice={notice} onChanged={refresh} /> : null}
      {fetching && !data ? <Loading what="the user" /> : null}
    </>
  );
}

function UserDetails({ user, self, sessions, grants, notice, onChanged }: { user: ConsoleUsersDetailFragment & ConsoleUsersTwoStepFragment; self: boolean; sessions: readonly ConsoleUsersSessionFragment[]; grants: readonly ConsoleUsersGrantFragment[]; notice: string | undefined; onChanged(): void }) {
  return (
    <>
      <p className="users-back">
        <Link to="/users">All users</Link>
      </p>
      <UsersStatus message={notice} />
      <p>
        <UserBadges admin={user.admin} active={user.active} />
        {self ? <span className="badge">You</span> : null}
      </p>
      <dl className="props">
        <dt>Name</dt>
        <dd>{displayName(user) || '—'}</dd>
        <dt>Id (sub)</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
        <dt>Password</dt>
        <dd>{user.hasPassword ? 'Set' : 'None: cannot sign in with a password'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(user.createdAt)}</dd>
        <dt>Changed</dt>
        <dd>{formatTime(user.updatedAt)}</dd>
      </dl>
      <ProfileSection user={user} self={self} />
      <PasswordSection user={user} />
      <TwoStepSection user={user} onChanged={onChanged} />
      <SessionsSection sessions={sessions} onChanged={onChanged} />
      <GrantsSection grants={grants} />
      <DeleteSection user={user} self={self} />
    </>
  );
}

function NoSuchUser({ id }: { id: string }) {
  return (
    <>
      <p>
        There is no user with the id <code>{id}</code>: they may have been deleted. <Link to="/users">Find them among all users</Link>.
      </p>
    </>
  );
}

const PROFILE_FIELDS = ['email', 'emailVerified', 'givenName', 'familyName', 'locale', 'picture', 'admin', 'active'] as const;

function ProfileSection({ user, self }: { user: ConsoleUsersDetailFragment; self: boolean }) {
  // What the form was loaded with: only what differs from it is sent.
  const [original, setOriginal] = useState<EditUserForm>(() => editFormOf(user));
  const [form, setForm] = useState<EditUserForm>(original);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [{ fetching }, updateUser] = useMutation(UpdateUserMutation);
  const formRef = useRef<HTMLFormElement>(null);
  const set = <K extends keyof EditUserForm>(field: K) => (value: EditUserForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const changes = updateInput(original, form);
  const consequences = updateConsequences(changes);

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(undefined);
    setProblem(undefined);
    if (Object.keys(changes).length === 0) {
      setErrors({});
      setStatus('Nothing changed.');
      return;
    }
    const result = await updateUser({ id: user.id, input: changes });
    const updated = result.data?.updateUser;
    if (!updated) {
      const p = problemOf(result.error);
      const split = splitFieldProblems(p?.fields ?? {}, PROFILE_FIELDS);
      setErrors(split.fields);
      const message = [p?.message, ...split.rest].filter(Boolean).join(' ');
      setProblem(p && message ? { ...p, message } : p);
      return;
    }
    const saved = editFormOf(updated);
    setOriginal(saved);
    setForm(saved);
    setErrors({});
    setStatus(changes.active === false ? 'Saved. Their sessions and grants have ended.' : 'Saved.');
  };

  return (
    <section aria-labelledby="users-profile">
      <h2 id="users-profile">Profile</h2>
      <ProblemMessage problem={problem} />
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)}>
        <TextField label="Email" type="email" name="email" autoComplete="off" value={form.email} onChange={(e) => set('email')(e.target.value)} error={errors.email} />
        <CheckboxField label="Email address verified" checked={form.emailVerified} onChange={set('emailVerified')} error={errors.emailVerified} hint="Released as email_verified: apps may trust the address." />
        <div className="pair">
          <TextField label="Given name" name="givenName" autoComplete="off" value={form.givenName} onChange={(e) => set('givenName')(e.target.value)} error={errors.givenName} />
          <TextField label="Family name" name="familyName" autoComplete="off" value={form.familyName} onChange={(e) => set('familyName')(e.target.value)} error={errors.familyName} />
        </div>
        <div className="pair">
          <TextField label="Locale" name="locale" autoComplete="off" spellCheck={false} value={form.locale} onChange={(e) => set('locale')(e.target.value)} error={errors.locale} hint="A BCP 47 language tag, such as en or pt-BR." />
          <TextField label="Picture" type="url" name="picture" autoComplete="off" spellCheck={false} value={form.picture} onChange={(e) => set('picture')(e.target.value)} error={errors.picture} hint="An http(s) URL." />
        </div>
        <CheckboxField label="Administrator" checked={form.admin} onChange={set('admin')} error={errors.admin} hint={self ? 'This is you: without it, you cannot use this console after your next sign-in.' : 'May sign in to this console and use the admin API.'} />
        <CheckboxField label="Active" checked={form.active} onChange={set('active')} error={errors.active} hint="Inactive users cannot sign in. Deactivating ends their sessions and grants." />
        {consequences.length > 0 ? (
          <div className="notice warning">
            <p className="users-tight">Saving this:</p>
            <ul className="users-tight">
              {consequences.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? 'Saving…' : 'Save changes'}
          </button>
        </div>
        <UsersStatus message={status} />
      </form>
    </section>
  );
}

function PasswordSection({ user }: { user: ConsoleUsersDetailFragment }) {
  const [password, setPassword] = useState('');
  const [show, setShow] = useState(false);
  const [error, setError] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [{ fetching }, setUserPassword] = useMutation(SetPasswordMutation);
  const input = useRef<HTMLDivElement>(null);

  const send = async (value: string | null) => {
    setStatus(undefined);
    setProblem(undefined);
    const result = await setUserPassword({ id: user.id, password: value });
    if (!result.data?.setUserPassword) {
      const p = problemOf(result.error);
      const split = splitFieldProblems(p?.fields ?? {}, ['password']);
      setError(split.fields.password);
      const message = [p?.message, ...split.rest].filter(Boolean).join(' ');
      setProblem(p && message ? { ...p, message } : p);
      return false;
    }
    setError(undefined);
    setPassword('');
    setStatus(value === null ? 'Password removed. Their sessions and grants have ended.' : 'Password set. Their sessions and grants have ended.');
    return true;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = passwordProblem(password);
    setError(local);
    if (local) {
      input.current?.querySelector('input')?.focus();
      return;
    }
    await send(password);
  };

  return (
    <section aria-labelledby="users-password">
      <h2 id="users-password">Password</h2>
      <p>{user.hasPassword ? 'They have a password.' : 'They have no password: they cannot sign in with a password until one is set.'} Setting or removing it ends their sessions and grants, so that whoever knew the old one loses access.</p>
      <ProblemMessage problem={problem} />
      <form noValidate onSubmit={(e) => void submit(e)}>
        <div ref={input}>
          <TextField label="New password" name="password" type={show ? 'text' : 'password'} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={error} hint="8 to 1024 characters." />
        </div>
        <CheckboxField label="Show password" checked={show} onChange={setShow} />
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            Set password
          </button>
          {user.hasPassword ? (
            <ConfirmButton label="Remove password" title={`Remove the password of ${user.username}?`} confirmLabel="Remove password" onConfirm={() => send(null)}>
              <p>They can no longer sign in with a password, and their sessions and grants end now.</p>
            </ConfirmButton>
          ) : null}
        </div>
        <UsersStatus message={status} />
      </form>
    </section>
  );
}

function DeleteSection({ user, self }: { user: ConsoleUsersDetailFragment; self: boolean }) {
  const { navigate } = useRouter();
  const [problem, setProblem] = useState<Problem>();
  const [, deleteUser] = useMutation(DeleteUserMutation);
  const confirm = async () => {
    setProblem(undefined);
    const result = await deleteUser({ id: user.id });
    if (!result.data?.deleteUser) {
      setProblem(problemOf(result.error));
      return;
    }
    leaveNotice('/users', `Deleted ${user.username}.`);
    navigate('/users');
  };
  return (
    <section aria-labelledby="users-delete">
      <h2 id="users-delete">Delete user</h2>
      <p>Deleting removes the user with their sessions, grants and tokens.</p>
      <ProblemMessage problem={problem} />
      <ConfirmButton label="Delete user" title={`Delete ${user.username}?`} confirmLabel="Delete user" onConfirm={confirm}>
        <p>Their sessions and grants end: every app they signed in to loses access. This cannot be undone.</p>
        {self ? <p className="field-error">This is you: you lose access to this console.</p> : null}
      </ConfirmButton>
    </section>
  );
}
