// The API token setting of one node (shown on the node switcher for the current node).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { saveToken, tokenError, useTokenSet } from '../auth';
import { Badge } from './common';
import { FormField } from './forms';

export function ApiTokenSetting({ base }: { base: string }) {
  const isSet = useTokenSet(base);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  // Another node: forget what was typed for the previous one.
  useEffect(() => {
    setValue('');
    setError(null);
    setNote(null);
  }, [base]);

  // Arriving from a refused call's "Set the API token" link: focus the field (after the app has
  // moved the focus to the new page).
  useEffect(() => {
    if (window.location.hash !== '#api-token') return;
    const t = setTimeout(() => {
      input.current?.focus({ preventScroll: true });
      input.current?.scrollIntoView?.({ block: 'center' });
    }, 0);
    return () => clearTimeout(t);
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setNote(null);
    const problem = tokenError(value);
    if (problem) {
      setError(problem);
      return;
    }
    saveToken(base, value);
    setValue('');
    setError(null);
    setNote('Token saved. It is sent with every action that changes the node’s state.');
  };

  const clear = () => {
    saveToken(base, null);
    setNote('Token cleared.');
  };

  return (
    <div className="token-setting" data-testid="api-token">
      <h3 id="api-token">API token</h3>
      <p className="muted small">
        A node configured with <code>http.auth_token</code> needs it for every action that changes its state (mining,
        sending, adding peers). It is kept in this browser for this node only and sent as{' '}
        <code>Authorization: Bearer …</code>; reading pages never needs it.
      </p>
      <p>
        Token for this node:{' '}
        <span data-testid="api-token-state">
          {isSet ? <Badge tone="ok">set</Badge> : <Badge tone="muted">not set</Badge>}
        </span>{' '}
        {isSet && (
          <button type="button" onClick={clear} data-testid="api-token-clear">
            Clear token
          </button>
        )}
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <FormField
          id="api-token-input"
          label={isSet ? 'Replace the API token' : 'API token'}
          error={error}
          ref={input}
          type="password"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setError(null);
          }}
          autoComplete="off"
          spellCheck={false}
          actions={
            <button type="submit" data-testid="api-token-save">
              Save token
            </button>
          }
        />
      </form>
      <div aria-live="polite">{note && <p className="ok-message">{note}</p>}</div>
    </div>
  );
}
