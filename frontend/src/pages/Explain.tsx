// /blocks/:id/explain and /tx/:id/explain: a block or a transaction taken apart byte by byte and
// checked in this browser (components/explain.tsx lists the test ids).
import { useNode } from '../node';
import { useAsync } from '../hooks';
import { Link, useLocation } from '../router';
import { ErrorBox, Hash, Loading, PageTitle } from '../components/common';
import { HeaderExplain, MerkleExplain, RewardExplain, TransferExplain } from '../components/explain';
import { encodeHeader, encodeRewardPreimage, encodeTransferPreimage } from '../protocol';
import { formatInt } from '../format';

function Intro() {
  if (!globalThis.crypto?.subtle) {
    return (
      <div className="error-box" role="alert" data-testid="explain-no-webcrypto">
        This browser offers no WebCrypto SHA-256 here: browsers give <code>crypto.subtle</code> only to secure pages (https, or
        http on localhost / 127.0.0.1). Open the dashboard through one of those to recompute the hashes; until then the checks
        below stay at “checking…”.
      </div>
    );
  }
  return (
    <p className="callout">
      Everything on this page is recomputed by your browser from the bytes shown: SHA-256 with WebCrypto, signatures with{' '}
      <code>@noble/curves</code> (secp256k1), the layouts of <code>docs/PROTOCOL.md</code>. The node is only asked for the block or
      transaction and its network id. Change any byte and watch the checks turn from <strong>verified</strong> to{' '}
      <strong>fails</strong>; restore it and they pass again.
    </p>
  );
}

/** The layout error of content that cannot be encoded (a malformed address, …), or null. */
function encodingError(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function NeedNetwork() {
  const { statusError } = useNode();
  if (statusError) return <ErrorBox error={statusError} title="Cannot read the network id (GET /status)" />;
  return <Loading what="Reading the network id from the node’s status" />;
}

export function ExplainBlockPage({ id }: { id: string }) {
  const { api, base, epoch, status } = useNode();
  const { query } = useLocation();
  const block = useAsync((signal) => api.block(id, signal), [base, id, epoch]);
  const b = block.data;
  if (block.error && !b) {
    return (
      <>
        <PageTitle>Explain block</PageTitle>
        <ErrorBox error={block.error} title={block.error.notFound ? 'Not found' : 'Cannot load the block'} />
      </>
    );
  }
  if (!b) return <Loading what={`Loading block ${id}`} />;
  const err = encodingError(() => encodeHeader(b));
  const txIndex = Number(query.get('tx') ?? 0);
  return (
    <>
      <PageTitle sub={<Hash value={b.hash} full />}>{`Explain block #${formatInt(b.block_number)}`}</PageTitle>
      <nav className="pager">
        <Link to={`/blocks/${b.hash}`}>‹ Back to block #{formatInt(b.block_number)}</Link>
      </nav>
      <Intro />
      {err ? (
        <div className="error-box" role="alert">
          This header cannot be encoded: {err}
        </div>
      ) : (
        <HeaderExplain key={b.hash} block={b} />
      )}
      {status ? (
        <MerkleExplain key={`${b.hash}/${txIndex}`} block={b} network={status.network} initialIndex={Number.isInteger(txIndex) ? txIndex : 0} />
      ) : (
        <NeedNetwork />
      )}
    </>
  );
}

export function ExplainTxPage({ id }: { id: string }) {
  const { api, base, epoch, status } = useNode();
  const tx = useAsync((signal) => api.transaction(id, signal), [base, id, epoch]);
  const d = tx.data;
  if (tx.error && !d) {
    return (
      <>
        <PageTitle sub={<Hash value={id} full />}>Explain transaction</PageTitle>
        <ErrorBox error={tx.error} title={tx.error.notFound ? 'Not found' : 'Cannot load the transaction'} />
      </>
    );
  }
  if (!d) return <Loading what="Loading transaction" />;
  const t = d.transaction;
  const network = status?.network;
  const err =
    network === undefined
      ? null
      : encodingError(() => (t.kind === 'Reward' ? encodeRewardPreimage(t.tx, network) : encodeTransferPreimage(t.tx, network)));
  return (
    <>
      <PageTitle sub={<Hash value={t.tx.id} full />}>{t.kind === 'Reward' ? 'Explain block reward' : 'Explain transfer'}</PageTitle>
      <nav className="pager">
        <Link to={`/tx/${t.tx.id}`}>‹ Back to the transaction</Link>
        {d.status === 'confirmed' && d.block_hash ? (
          <Link to={`/blocks/${d.block_hash}/explain?tx=${d.index ?? 0}`} data-testid="explain-tx-merkle-link">
            Its Merkle path in block #{formatInt(d.block_number ?? 0)} ›
          </Link>
        ) : (
          <span className="muted">Pending: not in a block yet, so no Merkle path.</span>
        )}
      </nav>
      <Intro />
      {network === undefined ? (
        <NeedNetwork />
      ) : err ? (
        <div className="error-box" role="alert">
          This transaction cannot be encoded: {err}
        </div>
      ) : t.kind === 'Reward' ? (
        <RewardExplain key={`${t.tx.id}/${network}`} tx={t.tx} network={network} />
      ) : (
        <TransferExplain key={`${t.tx.id}/${network}`} tx={t.tx} network={network} />
      )}
    </>
  );
}
