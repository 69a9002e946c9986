/**
 * Two-step sign-in (docs/ACCOUNTS.md "Two-step sign-in"): the user's authenticator apps
 * (`Me.factors`), adding one — the current password, then the QR code and the secret, then a
 * code of the app and a name, then the recovery codes shown once with a copy button — and
 * removing one (the current password again). New recovery codes on demand.
 */
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ConfirmButton } from '../components/ConfirmButton';
import { TextField } from '../components/Field';
import { Empty, ProblemMessage } from '../components/Feedback';
import { graphql } from '../gql';
import type { AccountFactorFragment } from '../gql/graphql';
import { formatTime, problemOf, type Problem } from '../graphql/problems';
import { UsersStatus } from '../pages/users/UsersStatus';
import { emptyEnrolForm, groupedSecret, qrImageSource, recoveryCodesText, twoStepProblems, typedCode, validateCodeStep, validatePasswordStep, type EnrolForm, type EnrolStep } from './two-step-form';
import { FormActions } from '../components/FormActions';
import { useRemoveFactor } from './remove-factor';

export const AccountFactor = graphql(`
  fragment AccountFactor on Factor {
    id
    kind
    name
    createdAt
    lastUsedAt
  }
`);

const StartMutation = graphql(`
  mutation AccountStartTotp($currentPassword: String!) {
    startTotpEnrolment(currentPassword: $currentPassword) {
      id
      secret
      otpauthUri
      qrSvg
    }
  }
`);

const ConfirmMutation = graphql(`
  mutation AccountConfirmTotp($id: ID!, $code: String!, $name: String!) {
    confirmTotpEnrolment(id: $id, code: $code, name: $name)
  }
`);


const RegenerateMutation = graphql(`
  mutation AccountRegenerateRecoveryCodes($currentPassword: String!) {
    regenerateRecoveryCodes(currentPassword: $currentPassword)
  }
`);

export function TwoStepSection({ factors, username, onChanged }: { factors: readonly AccountFactorFragment[]; username: string; onChanged(): void }) {
  const [step, setStep] = useState<EnrolStep>({ step: 'idle' });
  const [form, setForm] = useState<EnrolForm>(emptyEnrolForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [{ fetching: starting }, start] = useMutation(StartMutation);
  const [{ fetching: confirming }, confirm] = useMutation(ConfirmMutation);
  const [, regenerate] = useMutation(RegenerateMutation);
  // Passkeys have their section (PasskeysSection.tsx); the recovery codes serve both.
  const apps = factors.filter((f) => f.kind !== 'passkey');
  const set = (field: keyof EnrolForm) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  const reset = (next: EnrolStep) => {
    setErrors({});
    setProblem(undefined);
    setStep(next);
  };

  const submitPassword = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(undefined);
    const local = validatePasswordStep(form);
    if (Object.keys(local).length > 0) return setErrors(local);
    if (step.step !== 'password') return;
    if (step.purpose === 'codes') {
      const result = await regenerate({ currentPassword: form.currentPassword });
      if (!result.data) return refused(result.error, ['currentPassword']);
      setForm(emptyEnrolForm);
      return reset({ step: 'codes', codes: result.data.regenerateRecoveryCodes });
    }
    const result = await start({ currentPassword: form.currentPassword });
    if (!result.data) return refused(result.error, ['currentPassword']);
    const started = result.data.startTotpEnrolment;
    setForm({ ...emptyEnrolForm, currentPassword: '' });
    reset({ step: 'scan', id: started.id, secret: started.secret, qr: qrImageSource(started.qrSvg) });
  };

  const submitCode = async (e: FormEvent) => {
    e.preventDefault();
    if (step.step !== 'scan') return;
    const local = validateCodeStep(form);
    if (Object.keys(local).length > 0) return setErrors(local);
    const result = await confirm({ id: step.id, code: typedCode(form.code), name: form.name.trim() });
    if (!result.data) return refused(result.error, ['code', 'name']);
    setForm(emptyEnrolForm);
    reset({ step: 'codes', codes: result.data.confirmTotpEnrolment });
    onChanged();
  };

  const refused = (error: Parameters<typeof problemOf>[0], shown: readonly string[]) => {
    const split = twoStepProblems(problemOf(error), shown);
    setErrors(split.fields);
    setProblem(split.problem);
  };

  const removeFactor = useRemoveFactor(factors, { setProblem, setStatus, onChanged });

  return (
    <section aria-labelledby="account-two-step">
      <h2 id="account-two-step">Two-step sign-in</h2>
      <p className="hint">After your password, signing in asks for a code from an authenticator app on your phone: whoever learns your password alone cannot sign in.</p>
      <ProblemMessage problem={problem} />
      <UsersStatus message={status} />
      <FactorList factors={apps} label="Authenticator apps" empty="No authenticator app yet." username={username} onRemove={removeFactor} />
      {step.step === 'idle' ? (
        <div className="actions">
          <button type="button" onClick={() => reset({ step: 'password', purpose: 'enrol' })}>
            Add an authenticator app
          </button>
          {factors.length > 0 ? (
            <button type="button" onClick={() => reset({ step: 'password', purpose: 'codes' })}>
              New recovery codes
            </button>
          ) : null}
        </div>
      ) : null}
      {step.step === 'password' ? (
        <form noValidate onSubmit={(e) => void submitPassword(e)} aria-label={step.purpose === 'enrol' ? 'Add an authenticator app' : 'New recovery codes'}>
          {step.purpose === 'codes' ? <p>New codes replace the ones you have: those stop working.</p> : null}
          <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
          <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={form.currentPassword} onChange={(e) => set('currentPassword')(e.target.value)} error={errors.currentPassword} />
          <FormActions label="Continue" busyLabel="Checking…" busy={starting} onCancel={() => reset({ step: 'idle' })} />
        </form>
      ) : null}
      {step.step === 'scan' ? (
        <form noValidate onSubmit={(e) => void submitCode(e)} aria-label="Confirm the authenticator app">
          <p>Scan this code with your authenticator app, or type the key into it. Then enter the code the app shows.</p>
          <img className="account-qr" src={step.qr} alt="QR code of the key for your authenticator app" width={200} height={200} />
          <p>
            Key: <code className="account-secret">{groupedSecret(step.secret)}</code>
          </p>
          <TextField label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" value={form.code} onChange={(e) => set('code')(e.target.value)} error={errors.code} />
          <TextField label="Name" name="name" value={form.name} onChange={(e) => set('name')(e.target.value)} error={errors.name} hint="To tell your apps apart, such as the phone's name." />
          <FormActions label="Turn on" busyLabel="Checking…" busy={confirming} onCancel={() => reset({ step: 'idle' })} />
        </form>
      ) : null}
      {step.step === 'codes' ? <RecoveryCodes codes={step.codes} onDone={() => reset({ step: 'idle' })} /> : null}
    </section>
  );
}

/** The recovery codes, shown this once, with a copy button. */
export function RecoveryCodes({ codes, onDone }: { codes: readonly string[]; onDone(): void }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(recoveryCodesText(codes));
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here: select the codes and copy them.');
    }
  };
  return (
    <div className="account-recovery" role="group" aria-labelledby="account-recovery-codes">
      <h3 id="account-recovery-codes">Your recovery codes</h3>
      <p>Each code signs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.</p>
      <ul className="account-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy the codes
        </button>
        <button type="button" className="primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <UsersStatus message={copied} />
    </div>
  );
}

/** A list of the user's factors of one kind: name, when added and last used, and Remove. */
export function FactorList({ factors, label, empty, username, onRemove, what }: { factors: readonly AccountFactorFragment[]; label: string; empty: string; username: string; onRemove(f: AccountFactorFragment, currentPassword: string): Promise<void>; what?: string }) {
  if (factors.length === 0) return <Empty>{empty}</Empty>;
  return (
    <ul className="account-list" aria-label={label}>
      {factors.map((f) => (
        <li key={f.id}>
          <h3>{f.name}</h3>
          <dl className="props">
            <dt>Added</dt>
            <dd>{formatTime(f.createdAt)}</dd>
            <dt>Last used</dt>
            <dd>{f.lastUsedAt ? formatTime(f.lastUsedAt) : 'Never'}</dd>
          </dl>
          <RemoveFactor factor={f} username={username} onRemove={onRemove} what={what} />
        </li>
      ))}
    </ul>
  );
}

/** Removing a factor asks the current password (a stolen session alone cannot remove it). */
export function RemoveFactor({ factor, username, onRemove, what = 'Signing in will no longer ask for its codes.' }: { factor: AccountFactorFragment; username: string; onRemove(f: AccountFactorFragment, currentPassword: string): Promise<void>; what?: string }) {
  const [password, setPassword] = useState('');
  return (
    <ConfirmButton label="Remove" accessibleName={`Remove ${factor.name}`} title={`Remove ${factor.name}?`} confirmLabel="Remove" onConfirm={() => onRemove(factor, password)}>
      <p>{what}</p>
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
    </ConfirmButton>
  );
}
