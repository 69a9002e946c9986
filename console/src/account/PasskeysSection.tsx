/**
 * Passkeys (docs/ACCOUNTS.md "Passkeys"): the user's passkeys (`Me.factors` of kind `passkey`)
 * with their names, when added and last used; adding one — a name and the current password, then
 * the browser's own dialog (@simplewebauthn/browser's startRegistration), then, with the
 * account's first factor, the recovery codes shown once — and removing one (the password again).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { startRegistration, browserSupportsWebAuthn } from '@simplewebauthn/browser';
import { useMutation } from 'urql';
import { TextField } from '../components/Field';
import { ProblemMessage } from '../components/Feedback';
import { FormActions } from '../components/FormActions';
import { graphql } from '../gql';
import type { AccountFactorFragment } from '../gql/graphql';
import { problemOf, type Problem } from '../graphql/problems';
import { UsersStatus } from '../pages/users/UsersStatus';
import { ceremonyProblem, emptyPasskeyForm, validatePasskeyForm, type PasskeyForm } from './passkey-form';
import { FactorList, RecoveryCodes } from './TwoStepSection';
import { twoStepProblems } from './two-step-form';
import { useRemoveFactor } from './remove-factor';

const StartMutation = graphql(`
  mutation AccountStartPasskey($currentPassword: String!) {
    startPasskeyRegistration(currentPassword: $currentPassword) {
      id
      options
    }
  }
`);

const FinishMutation = graphql(`
  mutation AccountFinishPasskey($id: ID!, $response: String!, $name: String!) {
    finishPasskeyRegistration(id: $id, response: $response, name: $name) {
      factor {
        id
        name
      }
      recoveryCodes
    }
  }
`);

type Step = { step: 'idle' } | { step: 'form' } | { step: 'codes'; codes: readonly string[] };

export function PasskeysSection({ factors, username, onChanged }: { factors: readonly AccountFactorFragment[]; username: string; onChanged(): void }) {
  const passkeys = factors.filter((f) => f.kind === 'passkey');
  const [step, setStep] = useState<Step>({ step: 'idle' });
  const [form, setForm] = useState<PasskeyForm>(emptyPasskeyForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [, start] = useMutation(StartMutation);
  const [, finish] = useMutation(FinishMutation);
  const formRef = useRef<HTMLFormElement>(null);
  const supported = browserSupportsWebAuthn();

  // The first field with a problem takes the focus (WCAG 3.3.1), as on the other forms.
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const reset = (next: Step) => {
    setErrors({});
    setProblem(undefined);
    setForm(emptyPasskeyForm);
    setStep(next);
  };

  const refused = (error: Parameters<typeof problemOf>[0]) => {
    const split = twoStepProblems(problemOf(error), ['currentPassword', 'name']);
    setErrors(split.fields);
    setProblem(split.problem);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(undefined);
    setProblem(undefined);
    const local = validatePasskeyForm(form);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const started = await start({ currentPassword: form.currentPassword });
      if (!started.data) return refused(started.error);
      const { id, options } = started.data.startPasskeyRegistration;
      let response;
      try {
        response = await startRegistration({ optionsJSON: JSON.parse(options) });
      } catch (error) {
        setForm((f) => ({ ...f, currentPassword: '' }));
        return setProblem({ message: ceremonyProblem(error), fields: {}, offline: false, sessionEnded: false });
      }
      const finished = await finish({ id, response: JSON.stringify(response), name: form.name.trim() });
      if (!finished.data) return refused(finished.error);
      const added = finished.data.finishPasskeyRegistration;
      const codes = added.recoveryCodes;
      reset(codes ? { step: 'codes', codes } : { step: 'idle' });
      setStatus(`Added ${added.factor.name}.`);
      onChanged();
    } finally {
      setBusy(false);
    }
  };

  const removePasskey = useRemoveFactor(factors, { setProblem, setStatus, onChanged });

  return (
    <section aria-labelledby="account-passkeys">
      <h2 id="account-passkeys">Passkeys</h2>
      <p className="hint">A passkey is kept by this device, your phone or a security key, and unlocked with its screen lock. After your password, signing in can ask for it instead of a code.</p>
      {step.step !== 'form' ? <ProblemMessage problem={problem} /> : null}
      <UsersStatus message={status} />
      <FactorList factors={passkeys} label="Passkeys" empty="No passkey yet." username={username} onRemove={removePasskey} what="Signing in will no longer accept this passkey." />
      {step.step === 'idle' ? (
        supported ? (
          <div className="actions">
            <button type="button" onClick={() => reset({ step: 'form' })}>
              Add a passkey
            </button>
          </div>
        ) : (
          <p className="hint">This browser cannot make passkeys.</p>
        )
      ) : null}
      {step.step === 'form' ? (
        <form ref={formRef} noValidate onSubmit={(e) => void submit(e)} aria-label="Add a passkey">
          <ProblemMessage problem={problem} />
          <TextField label="Name" name="name" value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} error={errors.name} hint="To tell your passkeys apart, such as the device's name." autoFocus />
          <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
          <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={form.currentPassword} onChange={(e) => setForm((f) => ({ ...f, currentPassword: e.target.value }))} error={errors.currentPassword} />
          <FormActions label="Create the passkey" busyLabel="Waiting for the passkey…" busy={busy} onCancel={() => reset({ step: 'idle' })} />
        </form>
      ) : null}
      {step.step === 'codes' ? <RecoveryCodes codes={step.codes} onDone={() => reset({ step: 'idle' })} /> : null}
    </section>
  );
}
