// Pieces of the tables listing nodes: the network page's peers and tips, and the node switcher.
import type { ReactNode } from 'react';

/** A node's address without the scheme (`127.0.0.1:3001`). */
export function hostOf(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

/** A node's name (id or URL) with a second, smaller line (its agent, URL or why it is listed). */
export function NodeCell({ name, sub }: { name: ReactNode; sub?: ReactNode }) {
  return (
    <>
      <span className="mono">{name}</span>
      <div className="muted small">{sub}</div>
    </>
  );
}
