import { useEffect, useState } from 'react';
import { useNode } from '../node';
import { navigate, useLocation } from '../router';
import { ApiError } from '../api';
import { ErrorBox, Loading, PageTitle } from '../components/common';
import { classifySearch } from '../validate';

/**
 * Resolves a search to a page: a number is a height, 66/130 hex is an address, and 64 hex is
 * tried as a block hash first, then as a transaction id.
 */
export async function resolveSearch(
  q: string,
  api: { block(id: string): Promise<unknown>; transaction(id: string): Promise<unknown> },
): Promise<{ to: string } | { error: string }> {
  const c = classifySearch(q);
  switch (c.kind) {
    case 'invalid':
      return { error: c.reason };
    case 'height':
      return { to: `/blocks/${c.height}` };
    case 'address':
      return { to: `/address/${c.address}` };
    case 'hash': {
      try {
        await api.block(c.hash);
        return { to: `/blocks/${c.hash}` };
      } catch (e) {
        if (!(e instanceof ApiError) || !e.notFound) throw e;
      }
      try {
        await api.transaction(c.hash);
        return { to: `/tx/${c.hash}` };
      } catch (e) {
        if (!(e instanceof ApiError) || !e.notFound) throw e;
      }
      return { error: `No block and no transaction (pending or confirmed) has the hash ${c.hash}.` };
    }
  }
}

export function SearchPage() {
  const { api } = useNode();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const [result, setResult] = useState<{ error: string } | { failure: ApiError } | null>(null);

  useEffect(() => {
    let cancelled = false;
    setResult(null);
    resolveSearch(q, { block: (id) => api.block(id), transaction: (id) => api.transaction(id) })
      .then((r) => {
        if (cancelled) return;
        if ('to' in r) navigate(r.to, { replace: true });
        else setResult(r);
      })
      .catch((e: unknown) => {
        if (!cancelled) setResult({ failure: e instanceof ApiError ? e : new ApiError(String(e), 'error', 0) });
      });
    return () => {
      cancelled = true;
    };
  }, [q, api]);

  return (
    <>
      <PageTitle sub={q ? <code>{q}</code> : undefined}>Search</PageTitle>
      {!result && <Loading what="Searching" />}
      {result && 'error' in result && (
        <p className="error-box" role="alert" data-testid="search-error">
          {result.error}
        </p>
      )}
      {result && 'failure' in result && <ErrorBox error={result.failure} title="Search failed" />}
    </>
  );
}
