// The API token of each node, for nodes that set `http.auth_token`: kept in this browser's
// localStorage under the node's base URL, sent as `Authorization: Bearer <token>` on the calls
// that change state. The page never shows a saved token again, only whether one is set.
import { useCallback, useSyncExternalStore } from 'react';

export const TOKEN_STORAGE_PREFIX = 'bitcoin_rust.dashboard.token:';

/** The storage key of a node's token (the base URL without a trailing slash). */
export function tokenKey(base: string): string {
  return TOKEN_STORAGE_PREFIX + base.trim().replace(/\/+$/, '');
}

// Where storage is unavailable (private mode, blocked cookies), tokens last for this page only.
const memory = new Map<string, string>();
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

if (typeof window !== 'undefined') {
  // Another tab saved or cleared a token.
  window.addEventListener('storage', (e) => {
    if (e.key === null || e.key.startsWith(TOKEN_STORAGE_PREFIX)) emit();
  });
}

/** The token saved for the node at `base`, or null. */
export function readToken(base: string): string | null {
  const key = tokenKey(base);
  try {
    const v = window.localStorage.getItem(key);
    if (v) return v;
  } catch {
    // Fall back to this page's memory.
  }
  return memory.get(key) ?? null;
}

/** Saves (or, with null, forgets) the token of the node at `base`. */
export function saveToken(base: string, token: string | null): void {
  const key = tokenKey(base);
  const value = token?.trim() || null;
  memory.delete(key);
  try {
    if (value) window.localStorage.setItem(key, value);
    else window.localStorage.removeItem(key);
  } catch {
    if (value) memory.set(key, value);
  }
  emit();
}

/** Why `token` cannot be sent in an HTTP header, or null when it can. */
export function tokenError(token: string): string | null {
  const t = token.trim();
  if (!t) return 'Enter the token (the node’s http.auth_token).';
  if (!/^[\x20-\x7e]+$/.test(t)) return 'A token is plain ASCII text: no line breaks or accented letters.';
  return null;
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

/** Whether a token is saved for the node at `base` (follows saves and clears, in any tab). */
export function useTokenSet(base: string): boolean {
  const get = useCallback(() => readToken(base) !== null, [base]);
  return useSyncExternalStore(subscribe, get, get);
}
