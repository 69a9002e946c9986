/**
 * What every form of the console and the account page keeps: its values, each field's problem,
 * the problem above the form, a status line, and the form element. After a refused submit, the
 * first field in error takes the focus, so its message (tied by aria-describedby, Field.tsx) is
 * read with it.
 */
import { useEffect, useRef, useState } from 'react';
import type { Problem } from '../graphql/problems';

export function useFormState<F extends object>(initial: F | (() => F)) {
  const [form, setForm] = useState<F>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  return {
    form,
    setForm,
    /** A setter for one field, for an input's onChange. */
    set:
      <K extends keyof F>(field: K) =>
      (value: F[K]) =>
        setForm((f) => ({ ...f, [field]: value })),
    errors,
    setErrors,
    problem,
    setProblem,
    status,
    setStatus,
    formRef,
    /** A new submit: the outcome of the last one is cleared. */
    begin() {
      setStatus(undefined);
      setProblem(undefined);
    },
  };
}
