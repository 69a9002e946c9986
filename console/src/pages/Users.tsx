/**
 * Users (docs/CONSOLE.md): the list with search and pages, creating a user, inviting someone by
 * email (users/InviteUser.tsx), and one user's page (users/UserPage.tsx) with their profile,
 * password, sessions and grants.
 */
import { ScrollTable } from '../components/ScrollTable';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { CheckboxField, TextField } from '../components/Field';
import { Empty, Loading, ProblemMessage } from '../components/Feedback';
import { Pager, usePager } from '../components/Pager';
import { graphql } from '../gql';
import type { ConsoleUsersRowFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { Link, useRouter } from '../router';
import { createInput, displayName, emptyCreateForm, splitFieldProblems, validateCreate, type CreateUserForm } from './users/form';
import { InviteUserSection } from './users/InviteUser';
import { leaveNotice } from './users/notice';
import { UserBadges } from './users/UsersBadges';
import { useArrivalNotice, UsersStatus } from './users/UsersStatus';
import './users/users.css';
import { FormActions } from '../components/FormActions';

export { UserPage } from './users/UserPage';

export const UsersRow = graphql(`
  fragment ConsoleUsersRow on User {
    id
    username
    email
    givenName
    familyName
    admin
    active
    createdAt
  }
`);

const UsersListQuery = graphql(`
  query ConsoleUsersList($search: String, $after: String) {
    users(search: $search, first: 20, after: $after) {
      edges {
        node {
          ...ConsoleUsersRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const CreateUserMutation = graphql(`
  mutation ConsoleUsersCreate($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      username
      hasPassword
    }
  }
`);

export function UsersPage() {
  const { search: params, navigate } = useRouter();
  // The search is in the URL (?search=), so that the back button from a user's page returns to it.
  const search = params.get('search') ?? '';
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const pager = usePager();
  const [creating, setCreating] = useState(false);
  const [inviting, setInviting] = useState(false);
  const arrival = useArrivalNotice('/users');
  const [sent, setSent] = useState<string>();
  const notice = sent ?? arrival;
  // A new user makes the list stale even when it showed no user (no typename to invalidate by).
  const context = useMemo(() => ({ additionalTypenames: ['User'] }), []);
  const [{ data, error, fetching }] = useQuery({ query: UsersListQuery, variables: { search: search || null, after: pager.after }, context });

  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    const text = typed.trim();
    pager.reset();
    navigate(text ? `/users?search=${encodeURIComponent(text)}` : '/users', { replace: true });
  };
  const clearSearch = () => {
    setTyped('');
    pager.reset();
    navigate('/users', { replace: true });
  };

  const users = data?.users.edges.map((e) => e.node) ?? [];
  return (
    <>
      <h1>Users</h1>
      <UsersStatus message={notice} />
      <div className="toolbar users-toolbar">
        <form role="search" aria-label="Users" className="users-search" onSubmit={submitSearch}>
          <TextField label="Search users" type="search" name="search" value={typed} onChange={(e) => setTyped(e.target.value)} hint="Part of a username, email address or name." />
          <button type="submit">Search</button>
        </form>
        <button type="button" className="primary" aria-expanded={creating} aria-controls="users-create" onClick={() => setCreating((c) => !c)}>
          New user
        </button>
        <button type="button" aria-expanded={inviting} aria-controls="users-invite" onClick={() => setInviting((i) => !i)}>
          Invite
        </button>
      </div>
      {creating ? <CreateUserSection onCancel={() => setCreating(false)} /> : null}
      {inviting ? (
        <InviteUserSection
          onCancel={() => setInviting(false)}
          onSent={(message) => {
            setSent(message);
            setInviting(false);
          }}
        />
      ) : null}
      <section aria-labelledby="users-list">
        <h2 id="users-list">{search ? `Users matching “${search}”` : 'All users'}</h2>
        {search ? (
          <p>
            <button type="button" onClick={clearSearch}>
              Show all users
            </button>
          </p>
        ) : null}
        <ProblemMessage problem={problemOf(error)} />
        {fetching && !data ? <Loading what="users" /> : null}
        {data && users.length === 0 ? <Empty>{search ? `No user matches “${search}”.` : 'No users yet.'}</Empty> : null}
        {users.length > 0 ? <UsersTable users={users} /> : null}
        {data && (pager.page > 1 || data.users.pageInfo.hasNextPage) ? <Pager pager={pager} hasNextPage={data.users.pageInfo.hasNextPage} endCursor={data.users.pageInfo.endCursor} label="Users" /> : null}
      </section>
    </>
  );
}

export function UsersTable({ users }: { users: readonly ConsoleUsersRowFragment[] }) {
  return (
    // Focusable, so that a keyboard can scroll it on a narrow screen.
    <ScrollTable label="Users" caption="Users, by username">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>
                <Link to={`/users/${encodeURIComponent(u.id)}`}>{u.username}</Link>
              </td>
              <td>{displayName(u) || '—'}</td>
              <td className="users-email">{u.email ?? '—'}</td>
              <td>
                <UserBadges admin={u.admin} active={u.active} />
              </td>
              <td className="users-time">{formatTime(u.createdAt)}</td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}

const CREATE_FIELDS = ['username', 'email', 'givenName', 'familyName', 'password', 'admin'] as const;

function CreateUserSection({ onCancel }: { onCancel(): void }) {
  const { navigate } = useRouter();
  const [form, setForm] = useState<CreateUserForm>(emptyCreateForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [showPassword, setShowPassword] = useState(false);
  const [{ fetching }, createUser] = useMutation(CreateUserMutation);
  const formRef = useRef<HTMLFormElement>(null);
  const set = <K extends keyof CreateUserForm>(field: K) => (value: CreateUserForm[K]) => setForm((f) => ({ ...f, [field]: value }));

  // After a refused submit, the first field to fix takes the focus (its error is read with it).
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const local = validateCreate(form);
    if (Object.keys(local).length > 0) {
      setErrors(local);
      return;
    }
    const result = await createUser({ input: createInput(form) });
    const created = result.data?.createUser;
    if (!created) {
      const p = problemOf(result.error);
      const split = splitFieldProblems(p?.fields ?? {}, CREATE_FIELDS);
      setErrors(split.fields);
      const message = [p?.message, ...split.rest].filter(Boolean).join(' ');
      setProblem(p && message ? { ...p, message } : p);
      return;
    }
    leaveNotice(`/users/${created.id}`, created.hasPassword ? `Created ${created.username}.` : `Created ${created.username}. They cannot sign in with a password until one is set below.`);
    navigate(`/users/${encodeURIComponent(created.id)}`);
  };

  return (
    <section aria-labelledby="users-create-title" id="users-create" className="users-create">
      <h2 id="users-create-title">Create a user</h2>
      <ProblemMessage problem={problem} />
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)}>
        <TextField label="Username" name="username" required autoComplete="off" autoCapitalize="none" spellCheck={false} autoFocus value={form.username} onChange={(e) => set('username')(e.target.value)} error={errors.username} hint="Letters, digits and . _ @ + -; stored in lower case, never changes." />
        <TextField label="Email" name="email" type="email" autoComplete="off" value={form.email} onChange={(e) => set('email')(e.target.value)} error={errors.email} />
        <div className="pair">
          <TextField label="Given name" name="givenName" autoComplete="off" value={form.givenName} onChange={(e) => set('givenName')(e.target.value)} error={errors.givenName} />
          <TextField label="Family name" name="familyName" autoComplete="off" value={form.familyName} onChange={(e) => set('familyName')(e.target.value)} error={errors.familyName} />
        </div>
        <TextField
          label="Password (optional)"
          name="password"
          type={showPassword ? 'text' : 'password'}
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => set('password')(e.target.value)}
          error={errors.password}
          hint="8 to 1024 characters. Without one, the user cannot sign in with a password until one is set on their page."
        />
        <CheckboxField label="Show password" checked={showPassword} onChange={setShowPassword} />
        <CheckboxField label="Administrator" checked={form.admin} onChange={set('admin')} error={errors.admin} hint="May sign in to this console and use the admin API." />
        <FormActions label="Create user" busyLabel="Creating…" busy={fetching} onCancel={onCancel} />
      </form>
    </section>
  );
}
