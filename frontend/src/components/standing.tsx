// Where a block stands in the node's block tree and when the node first saw a block or transfer
// (GET /blocks/{id} `status`, `invalid_rule`, `first_seen`; GET /transactions/{id} `first_seen`),
// with links to the propagation timeline. Used by the block and transaction pages.
import { Link } from '../router';
import { statusText } from '../blockTree';
import { formatDateTime } from '../format';
import type { ApiError } from '../api';
import type { BlockStatus, BlockView, FirstSeen } from '../types';
import { Badge, Field, Hash, Time } from './common';

/** The fork lab's address, optionally tracing a block or transfer. */
export function forkLabPath(item?: { kind: 'block' | 'tx'; id: string }): string {
  if (!item) return '/network/forks';
  return `/network/forks?${item.kind === 'block' ? 'block' : 'tx'}=${encodeURIComponent(item.id)}#propagation`;
}

const TONE: Record<BlockStatus, 'ok' | 'warn' | 'bad' | 'muted'> = {
  active: 'ok',
  'valid-fork': 'warn',
  invalid: 'bad',
  'unknown-parent': 'muted',
};

/** A block's or tip's status: green on the best chain, amber side branch, red invalid (with its rule). */
export function StatusBadge({ status, rule }: { status: BlockStatus; rule?: string | null }) {
  return (
    <Badge tone={TONE[status] ?? 'muted'} title={status}>
      {statusText(status, rule)}
    </Badge>
  );
}

/** `12 s ago (2026-12-02 12:00:00) from peer 03ab…, via HTTP, or made here`. */
export function FirstSeenText({ fs }: { fs: FirstSeen | null | undefined }) {
  if (!fs) return <span className="muted">not remembered (nodes keep this only for recent items)</span>;
  return (
    <span data-testid="first-seen">
      <Time ts={fs.at_ms} /> ({formatDateTime(fs.at_ms)}),{' '}
      {fs.source === 'self' ? (
        'made by this node'
      ) : fs.source === 'http' ? (
        'sent to its HTTP API'
      ) : (
        <>
          from peer <Hash value={fs.peer} copy={false} head={8} tail={4} />
        </>
      )}
    </span>
  );
}

/** The block page's rows: the tree status and first-seen (nodes that report them). */
export function BlockStandingFields({ b }: { b: BlockView }) {
  if (b.status === undefined && b.first_seen === undefined) return null;
  return (
    <>
      {b.status && (
        <Field label="Tree status">
          <span data-testid="block-tree-status" data-status={b.status}>
            <StatusBadge status={b.status} rule={b.invalid_rule} />
          </span>
        </Field>
      )}
      <Field label="First seen">
        <FirstSeenText fs={b.first_seen} /> ·{' '}
        <Link to={forkLabPath({ kind: 'block', id: b.hash })} data-testid="propagation-link">
          propagation
        </Link>
      </Field>
    </>
  );
}

/** The transaction page's first-seen line. */
export function TxFirstSeen({ id, fs }: { id: string; fs: FirstSeen | null | undefined }) {
  // Older nodes do not report it at all.
  if (fs === undefined) return null;
  return (
    <p className="small">
      First seen by this node: <FirstSeenText fs={fs} /> ·{' '}
      <Link to={forkLabPath({ kind: 'tx', id })} data-testid="propagation-link">
        propagation
      </Link>
    </p>
  );
}

/** Under a block page's 404: the rule a refused block broke. */
export function RefusedBlockNote({ error, id }: { error: ApiError; id: string }) {
  if (error.code !== 'block_refused') return null;
  return (
    <p data-testid="block-refused">
      This node refused the block before storing it{error.rule ? (
        <>
          : it broke the rule <code>{error.rule}</code>
        </>
      ) : null}
      . See which nodes have it: <Link to={forkLabPath({ kind: 'block', id })}>propagation</Link>.
    </p>
  );
}
