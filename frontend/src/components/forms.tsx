// The dashboard's form pieces: one labelled field (label, input, hint or validation error) and one
// "type a URL and connect" row built on it.
import { useState, type ComponentProps, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api';
import { ErrorBox } from './common';

export type FormFieldProps = Omit<ComponentProps<'input'>, 'id' | 'children'> & {
  /** The input's id; the error is `${id}-error` and the hint `${id}-hint`. */
  id: string;
  label: ReactNode;
  /** Shown under the input while there is no error. */
  hint?: ReactNode;
  /** The validation error to show (from the checks in `validate.ts`), or nothing. */
  error?: string | null;
  /**
   * Buttons beside the input: the field is then laid out inline (label, then input and buttons
   * in one `.row`, inside an `.inline-form`) rather than as a stacked `.form-row`.
   */
  actions?: ReactNode;
};

/**
 * A labelled input with its hint or validation error, wired for assistive technology: the label's
 * `htmlFor`, `aria-invalid` while an error shows, and `aria-describedby` naming the error (or the
 * hint). Every other prop (value, onChange, ref, placeholder…) goes to the input.
 */
export function FormField({ id, label, hint, error, actions, ...input }: FormFieldProps) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const field = (
    <input {...input} id={id} aria-invalid={!!error} aria-describedby={error ? errorId : hint ? hintId : undefined} />
  );
  const message = error ? (
    <span className="field-error" id={errorId}>
      {error}
    </span>
  ) : hint ? (
    <span className="hint" id={hintId}>
      {hint}
    </span>
  ) : null;
  if (actions === undefined)
    return (
      <div className="form-row">
        <label htmlFor={id}>{label}</label>
        {field}
        {message}
      </div>
    );
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <div className="row">
        {field}
        {actions}
      </div>
      {message}
    </>
  );
}

export interface UrlConnectRowProps {
  /** The input's id (its error is `${id}-error`). */
  id: string;
  label: ReactNode;
  placeholder: string;
  /** Why a typed (trimmed) value is not acceptable, or null when it is. */
  validate: (value: string) => string | null;
  /** The button's text, and its text while the action runs. */
  buttonText: string;
  busyText: string;
  /**
   * What the button does with the trimmed value. It may answer a message to show; the input is
   * cleared when it succeeds, and what it throws is shown under `errorTitle`.
   */
  action: (value: string) => Promise<ReactNode | void>;
  errorTitle: string;
}

/** An input for a URL with a Connect-style button: validates, runs the action, shows busy, done or the refusal. */
export function UrlConnectRow({ id, label, placeholder, validate, buttonText, busyText, action, errorTitle }: UrlConnectRowProps) {
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const [done, setDone] = useState<ReactNode>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    setFailure(null);
    const v = value.trim();
    const problem = validate(v);
    setInvalid(problem);
    if (problem) return;
    setBusy(true);
    try {
      setDone((await action(v)) ?? null);
      setValue('');
    } catch (err) {
      setFailure(err instanceof Error ? err : new ApiError(String(err), 'error', 0));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <FormField
        id={id}
        label={label}
        error={invalid}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        actions={
          <button type="submit" disabled={busy}>
            {busy ? busyText : buttonText}
          </button>
        }
      />
      <div aria-live="polite">
        {done && <p className="ok-message">{done}</p>}
        <ErrorBox error={failure} title={errorTitle} />
      </div>
    </form>
  );
}
