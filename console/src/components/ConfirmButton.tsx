/**
 * A button that asks first: a modal dialog (the native <dialog>, which keeps focus inside and
 * closes on Escape) names the consequence and the action.
 */
import { useId, useRef, useState, type ReactNode } from 'react';

export function ConfirmButton({ label, title, children, confirmLabel, onConfirm, danger = true, disabled, accessibleName }: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): Promise<unknown> | unknown;
  danger?: boolean;
  disabled?: boolean;
  /** The button's name for assistive technology when `label` alone is ambiguous (one per table row: "Revoke the grant of Shop"). */
  accessibleName?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const close = () => dialog.current?.close();
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      close();
    }
  };
  return (
    <>
      <button type="button" className={danger ? 'danger' : undefined} disabled={disabled} aria-label={accessibleName} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        <div>{children}</div>
        <div className="actions">
          <button type="button" onClick={close} autoFocus>
            Cancel
          </button>
          <button type="button" className={danger ? 'danger' : 'primary'} disabled={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
