import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface AsyncState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Loads again, keeping the current data on screen meanwhile. */
  reload(): void;
}

/**
 * Runs `fn` when `deps` change and whenever `reload` is called; keeps the last data while a
 * reload runs so live refreshes do not flash a loading state. Stale answers are dropped.
 */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const depsKey = JSON.stringify(deps);
  const lastKey = useRef<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    if (lastKey.current !== depsKey) {
      // New subject: forget the old data.
      lastKey.current = depsKey;
      setData(undefined);
      setError(null);
    }
    setLoading(true);
    fnRef
      .current(controller.signal)
      .then((d) => {
        if (controller.signal.aborted) return;
        setData(d);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e), 'error', 0));
        setLoading(false);
      });
    return () => controller.abort();
  }, [depsKey, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** The current time, refreshed every `ms` (for "12 s ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** Calls `fn` at most once per `ms` (trailing), for bursts of events. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const last = useRef(0);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    const now = Date.now();
    const wait = last.current + ms - now;
    if (wait <= 0) {
      last.current = now;
      fnRef.current();
    } else if (!timer.current) {
      timer.current = setTimeout(() => {
        timer.current = null;
        last.current = Date.now();
        fnRef.current();
      }, wait);
    }
  }, [ms]);
}

/**
 * The state of a form of text fields checked as they are typed: the values, which fields were
 * visited, whether a submit was tried; an error shows once its field was visited or a submit was
 * tried, and a submit with errors focuses the first field (in `order`) that has one. `validate`
 * runs on every render; `onEdit` runs on every change and submit attempt (to clear the last
 * answer of the node).
 */
export function useCheckedForm<K extends string, C extends { errors: Partial<Record<string, string>> }>(
  initial: Record<K, string>,
  order: readonly K[],
  validate: (values: Record<K, string>) => C,
  onEdit: () => void,
) {
  const [values, setValues] = useState(initial);
  const [touched, setTouched] = useState<Partial<Record<K, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const inputs = useRef<Partial<Record<K, HTMLInputElement | null>>>({});
  const check = validate(values);
  const focus = (k: K) => inputs.current[k]?.focus();
  // Field `k`'s error, when it is to be shown (once visited or after a submit was tried).
  const shown = (k: K): string | null => ((submitted || touched[k]) && check.errors[k]) || null;
  return {
    values,
    check,
    /** Whether a submit was tried since the last reset. */
    submitted,
    /** The fields visited since the last reset. */
    touched,
    focus,
    /** The props of field `k`'s `FormField`: value, change and blur handlers, ref, the error to show. */
    field: (k: K) => ({
      ref: (el: HTMLInputElement | null) => {
        inputs.current[k] = el;
      },
      value: values[k],
      onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
        const value = e.target.value;
        setValues((v) => ({ ...v, [k]: value }));
        onEdit();
      },
      onBlur: () => setTouched((t) => ({ ...t, [k]: true })),
      error: shown(k),
      autoComplete: 'off',
    }),
    /** Starts a submit: true when no field has an error, else focuses the first and is false. */
    attempt: (): boolean => {
      setSubmitted(true);
      onEdit();
      const first = order.find((k) => check.errors[k]);
      if (first) focus(first);
      return !first;
    },
    /** After a successful submit: sets some values and hides the errors again. */
    reset: (patch: Partial<Record<K, string>>) => {
      setValues((v) => ({ ...v, ...patch }));
      setTouched({});
      setSubmitted(false);
    },
  };
}
