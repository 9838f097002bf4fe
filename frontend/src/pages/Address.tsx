import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Link, useLocation } from '../router';
import { Badge, Coins, Empty, ErrorBox, Field, Hash, Loading, PageTitle, Time } from '../components/common';
import { formatInt } from '../format';
import { addressError } from '../validate';
import type { HistoryEntry, Transfer } from '../types';

export function PendingTransfer({ tx, me }: { tx: Transfer; me?: string }) {
  const payments = tx.outputs.filter((o) => o.address !== tx.input.address);
  const change = tx.outputs.find((o) => o.address === tx.input.address);
  return (
    <div className="pending-tx" data-testid="pending-transfer">
      <p>
        <Badge tone="warn">pending</Badge> <Hash value={tx.id} kind="tx" /> · nonce {tx.input.nonce} · fee{' '}
        <Coins n={tx.input.fee} /> · signed <Time ts={tx.input.timestamp} />
      </p>
      <div className="table-wrap">
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Pays</th>
              <th scope="col" className="num">Amount</th>
            </tr>
          </thead>
          <tbody>
            {payments.map((o) => (
              <tr key={o.address}>
                <td>
                  <Hash value={o.address} kind="address" />
                </td>
                <td className="num">
                  <Coins n={o.amount} />
                </td>
              </tr>
            ))}
            {payments.length === 0 && (
              <tr>
                <td colSpan={2} className="muted">
                  no payments (pays only itself)
                </td>
              </tr>
            )}
            {change && (
              <tr className="muted">
                <td>change back to {me && change.address === me ? 'this wallet' : 'the sender'}</td>
                <td className="num">
                  <Coins n={change.amount} />
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function HistoryTable({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0) return <Empty>No confirmed transactions.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">When</th>
            <th scope="col">Transaction</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">Received</th>
            <th scope="col" className="num">Spent</th>
            <th scope="col" className="num" title="Received minus spent (a transfer spends the whole balance and gets change back)">
              Net
            </th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={`${h.transaction.tx.id}-${h.height}`}>
              <td>
                <Link to={`/blocks/${h.block_hash}`}>#{formatInt(h.height)}</Link>
              </td>
              <td>
                <Time ts={h.timestamp} />
              </td>
              <td>
                <Hash value={h.transaction.tx.id} kind="tx" copy={false} />
              </td>
              <td>{h.transaction.kind === 'Reward' ? 'reward' : 'transfer'}</td>
              <td className="num">{h.received ? <Coins n={h.received} className="plus" /> : '—'}</td>
              <td className="num">{h.spent ? <Coins n={h.spent} className="minus" /> : '—'}</td>
              <td className="num">
                <Coins n={h.received - h.spent} className={h.received >= h.spent ? 'plus' : 'minus'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AddressPage({ address }: { address: string }) {
  const { api, base, epoch, status } = useNode();
  const { query } = useLocation();
  const before = query.get('before');
  const invalid = addressError(address);
  const info = useAsync(
    (signal) => {
      if (invalid) return Promise.reject(new Error(invalid));
      const q = before && /^\d+$/.test(before) ? `${address}?before=${before}` : address;
      return api.address(q, signal);
    },
    [base, address, before, epoch],
  );
  const reload = useThrottled(info.reload, 1000);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg' || e.type === 'transaction' || e.type === 'mempool') reload();
  });
  const d = info.data;
  const isNodeWallet = status?.address?.toLowerCase() === address.toLowerCase();
  // Newer nodes say where the next page starts; older ones are paged by the oldest height shown.
  const oldest = d && d.history.length ? d.history[d.history.length - 1].height : null;
  const nextBefore =
    d && 'next_before' in d ? (d.next_before ?? null) : oldest !== null && oldest > 0 && d && d.history.length >= 50 ? oldest : null;

  return (
    <>
      <PageTitle sub={<Hash value={address} full />}>Address</PageTitle>
      {isNodeWallet && (
        <p>
          <Badge tone="info">this node’s wallet</Badge> <Link to="/wallet">Open the wallet</Link>
        </p>
      )}
      <ErrorBox error={info.error} title="Cannot load the address" />
      {!d && info.loading && <Loading what="Loading address" />}
      {d && (
        <>
          <section className="card" aria-labelledby="acct-h">
            <h2 id="acct-h">Account</h2>
            <dl className="fields">
              <Field label="Balance">
                <strong data-testid="address-balance">
                  <Coins n={d.balance} />
                </strong>
              </Field>
              <Field label="Nonce">{formatInt(d.nonce)} (transfers sent and confirmed)</Field>
            </dl>
          </section>
          <section className="card" aria-labelledby="apending-h">
            <h2 id="apending-h">Pending transfer</h2>
            {d.pending ? <PendingTransfer tx={d.pending} /> : <Empty>Nothing pending from this address.</Empty>}
          </section>
          <section className="card" aria-labelledby="hist-h">
            <h2 id="hist-h">History {before && <>(before block #{before})</>}</h2>
            <HistoryTable history={d.history} />
            {d.history.length === 0 && nextBefore !== null && (
              <p className="muted">Nothing in the blocks scanned for this page; older blocks remain.</p>
            )}
            <nav className="pager" aria-label="History pages">
              {before && <Link to={`/address/${address}`}>« Newest</Link>}
              {nextBefore !== null && <Link to={`/address/${address}?before=${nextBefore}`}>Older ›</Link>}
            </nav>
          </section>
        </>
      )}
    </>
  );
}
