import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Link, useLocation } from '../router';
import { Badge, Coins, Empty, ErrorBox, Field, Hash, Loading, PageTitle } from '../components/common';
import { HistoryTable, PendingTransfer } from '../components/transactions';
import { formatInt } from '../format';
import { addressError } from '../validate';

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
