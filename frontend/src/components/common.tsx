import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from '../router';
import { formatAgo, formatCoins, formatDateTime, formatInt, shortHash } from '../format';
import type { ApiError } from '../api';
import { useNow } from '../hooks';

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall back below.
  }
  try {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    document.body.removeChild(ta);
    return ok;
  } catch {
    return false;
  }
}

/** A small button copying `text`, announcing the result to screen readers. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return (
    <button
      type="button"
      className="copy"
      title={`${label}: ${text}`}
      aria-label={`${label} ${text}`}
      onClick={async () => {
        const ok = await copyText(text);
        setState(ok ? 'copied' : 'failed');
        if (timer.current) clearTimeout(timer.current);
        timer.current = setTimeout(() => setState('idle'), 1500);
      }}
    >
      <svg aria-hidden="true" width="14" height="14" viewBox="0 0 16 16" className="icon">
        {state === 'copied' ? (
          <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="2" />
        ) : state === 'failed' ? (
          <path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" strokeWidth="2" />
        ) : (
          <g fill="none" stroke="currentColor" strokeWidth="1.5">
            <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
            <path d="M10.5 3.5v-1a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h1" />
          </g>
        )}
      </svg>
      <span className="sr-only" aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : ''}
      </span>
    </button>
  );
}

type HashKind = 'block' | 'tx' | 'address' | 'none';

function hashLink(kind: HashKind, value: string): string | null {
  switch (kind) {
    case 'block':
      return `/blocks/${value}`;
    case 'tx':
      return `/tx/${value}`;
    case 'address':
      return `/address/${value}`;
    default:
      return null;
  }
}

/** A shortened hash or address: full value on hover (title), optional link, copy button. */
export function Hash({
  value,
  kind = 'none',
  full = false,
  copy = true,
  head,
  tail,
  label,
}: {
  value: string | null | undefined;
  kind?: HashKind;
  full?: boolean;
  copy?: boolean;
  head?: number;
  tail?: number;
  label?: string;
}) {
  if (!value) return <span className="muted">—</span>;
  const text = full ? value : shortHash(value, head, tail);
  const to = hashLink(kind, value);
  return (
    <span className={`hash${full ? ' hash-full' : ''}`}>
      {to ? (
        <Link to={to} title={value} className="mono" aria-label={label ? `${label} ${value}` : undefined}>
          {text}
        </Link>
      ) : (
        <code title={value} className="mono">
          {text}
        </code>
      )}
      {copy && <CopyButton text={value} />}
    </span>
  );
}

/** A transaction id, shortened, linking to its page (in tables: no copy button). */
export function TxId({ id }: { id: string }) {
  return <Hash value={id} kind="tx" copy={false} />;
}

/** An address, shortened a little more, linking to its page (in tables: no copy button). */
export function ShortAddress({ address }: { address: string }) {
  return <Hash value={address} kind="address" copy={false} head={6} tail={4} />;
}

/** `#12` (or `block #12` with `prefix`), linking to the block by `id` (its hash) or by height. */
export function BlockLink({ height, id, prefix = '' }: { height: number; id?: string; prefix?: string }) {
  return (
    <Link to={`/blocks/${id ?? height}`}>
      {prefix}#{formatInt(height)}
    </Link>
  );
}

/** A relative time ("12 s ago") with the full date on hover. */
export function Time({ ts }: { ts: number | null | undefined }) {
  const now = useNow(1000);
  if (!ts) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(ts).toISOString()} title={formatDateTime(ts)}>
      {formatAgo(ts, now)}
    </time>
  );
}

export function Coins({ n, className }: { n: number | null | undefined; className?: string }) {
  return <span className={`coins${className ? ` ${className}` : ''}`}>{formatCoins(n)}</span>;
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Where the API token of the current node is set (the node switcher). */
export const TOKEN_SETTING_PATH = '/node#api-token';

/**
 * The node's refusal or an unreachable node, as text a person can act on. A 401 (the node wants
 * its API token) links to the token setting.
 */
export function ErrorBox({ error, title }: { error: ApiError | Error | null | undefined; title?: string }) {
  if (!error) return null;
  const code = (error as ApiError).code;
  const unauthorized = (error as ApiError).status === 401;
  return (
    <div className="error-box" role="alert">
      {title && <strong>{title}: </strong>}
      <span className="error-message">{error.message}</span>
      {code && code !== 'error' && <span className="error-code"> ({code})</span>}
      {unauthorized && (
        <span className="error-help">
          {' '}
          <Link to={TOKEN_SETTING_PATH} data-testid="token-setting-link">
            Set the API token for this node
          </Link>{' '}
          (under “Choose a node”), then try again.
        </span>
      )}
    </div>
  );
}

export function Badge({ tone, children, title }: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** A definition list row. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  useEffect(() => {
    if (typeof children === 'string') document.title = `${children} · bitcoin_rust`;
  }, [children]);
  return (
    <header className="page-title">
      <h1>{children}</h1>
      {sub && <p className="sub">{sub}</p>}
    </header>
  );
}
