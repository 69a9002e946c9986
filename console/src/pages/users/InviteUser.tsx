/**
 * "Invite" on the Users page: an email address and the admin flag; the server mails the link
 * (inviteUser, docs/ACCOUNTS.md "Invitations"). Its problems are said beside the field they
 * concern; the others, such as invitations being off, above the form.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { CheckboxField, TextField } from '../../components/Field';
import { ProblemMessage } from '../../components/Feedback';
import { graphql } from '../../gql';
import { problemOf, type Problem } from '../../graphql/problems';
import { splitFieldProblems } from './form';
import { invitationSent, validateInvite } from './invite';
import { FormActions } from '../../components/FormActions';

const InviteUserMutation = graphql(`
  mutation ConsoleUsersInvite($email: String!, $admin: Boolean!) {
    inviteUser(email: $email, admin: $admin) {
      email
      admin
      expiresAt
    }
  }
`);

const INVITE_FIELDS = ['email', 'admin'] as const;

export function InviteUserSection({ onCancel, onSent }: { onCancel(): void; onSent(message: string): void }) {
  const [email, setEmail] = useState('');
  const [admin, setAdmin] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, invite] = useMutation(InviteUserMutation);
  const formRef = useRef<HTMLFormElement>(null);

  // After a refused submit, the field to fix takes the focus (its error is read with it).
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const local = validateInvite(email);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    const result = await invite({ email: email.trim(), admin });
    const sent = result.data?.inviteUser;
    if (!sent) {
      const p = problemOf(result.error);
      const split = splitFieldProblems(p?.fields ?? {}, INVITE_FIELDS);
      setErrors(split.fields);
      const message = [p?.message, ...split.rest].filter(Boolean).join(' ');
      setProblem(p && message ? { ...p, message } : p);
      return;
    }
    setEmail('');
    setAdmin(false);
    onSent(invitationSent(sent));
  };

  return (
    <section aria-labelledby="users-invite-title" id="users-invite" className="users-create">
      <h2 id="users-invite-title">Invite someone</h2>
      <p>A link goes to the address: whoever reads it chooses a username and a password, once.</p>
      <ProblemMessage problem={problem} />
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)}>
        <TextField label="Email" name="invite-email" type="email" required autoComplete="off" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
        <CheckboxField label="Administrator" checked={admin} onChange={setAdmin} error={errors.admin} hint="May sign in to this console and use the admin API." />
        <FormActions label="Send the invitation" busyLabel="Sending…" busy={fetching} onCancel={onCancel} />
      </form>
    </section>
  );
}
