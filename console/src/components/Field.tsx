/**
 * Labelled form controls with their error beside them: the label names the control, the error
 * is tied to it (aria-describedby) and marks it invalid (WCAG 2.2 §3.3.1).
 */
import { useId, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from 'react';

interface Common {
  label: string;
  error?: string;
  hint?: ReactNode;
}

function describedBy(id: string, error?: string, hint?: ReactNode): string | undefined {
  return [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
}

function Notes({ id, error, hint }: { id: string; error?: string; hint?: ReactNode }) {
  return (
    <>
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
    </>
  );
}

export function TextField({ label, error, hint, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="text" {...input} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, error, hint)} />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

/** A choice of one among `children` (<option> elements). */
export function SelectField({ label, error, hint, value, onChange, children }: Common & { value: string; onChange(value: string): void; children: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, error, hint)}>
        {children}
      </select>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

/** Free text over several lines (a JSON document). */
export function TextAreaField({ label, error, hint, ...rest }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} {...rest} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, error, hint)} />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

/** One value per line: redirect URIs, origins, audiences. */
export function ListField({ label, error, hint, value, onChange, ...rest }: Common & { value: string[]; onChange(value: string[]): void } & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={3} {...rest} value={value.join('\n')} onChange={(e) => onChange(e.target.value.split('\n'))} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, error, hint)} />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function CheckboxField({ label, error, hint, checked, onChange, ...rest }: Common & { checked: boolean; onChange(checked: boolean): void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'checked' | 'onChange' | 'type'>) {
  const id = useId();
  return (
    <div className="field checkbox">
      <input id={id} type="checkbox" {...rest} checked={checked} onChange={(e) => onChange(e.target.checked)} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, error, hint)} />
      <label htmlFor={id}>{label}</label>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

/** A group of checkboxes for a set of values (grant types, response types). */
export function ChoiceField({ label, options, value, onChange, error, hint }: { label: string; options: readonly string[]; value: string[]; onChange(value: string[]): void; error?: string; hint?: ReactNode }) {
  const id = useId();
  return (
    <fieldset className="field choices" aria-describedby={describedBy(id, error, hint)}>
      <legend>{label}</legend>
      {options.map((option) => (
        <label key={option} className="choice">
          <input type="checkbox" checked={value.includes(option)} onChange={(e) => onChange(e.target.checked ? [...value, option] : value.filter((v) => v !== option))} />
          {option}
        </label>
      ))}
      <Notes id={id} error={error} hint={hint} />
    </fieldset>
  );
}
