import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Coins, Empty, ErrorBox, Loading, PageTitle, ShortAddress, Time, TxId } from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { payments } from '../components/transactions';
import { formatInt } from '../format';
import type { Transfer } from '../types';

const COLUMNS: Column<Transfer>[] = [
  { header: '#', num: true, cell: (_t, i) => i + 1 },
  { header: 'Transaction', cell: (t) => <TxId id={t.id} /> },
  { header: 'Fee', num: true, cell: (t) => <Coins n={t.input.fee} /> },
  { header: 'From', cell: (t) => <ShortAddress address={t.input.address} /> },
  {
    header: 'Pays',
    cell: (t) => {
      const pays = payments(t);
      return (
        <>
          {pays.length === 0 && <span className="muted">itself</span>}
          {pays.map((o) => (
            <div key={o.address}>
              <Coins n={o.amount} /> → <ShortAddress address={o.address} />
            </div>
          ))}
        </>
      );
    },
  },
  { header: 'Signed', cell: (t) => <Time ts={t.input.timestamp} /> },
];

/** Highest fee first (the node already answers in this order; kept stable for equal fees). */
export function byFee(txs: Transfer[]): Transfer[] {
  return txs
    .map((t, i) => ({ t, i }))
    .sort((a, b) => b.t.input.fee - a.t.input.fee || a.i - b.i)
    .map((x) => x.t);
}

export function MempoolPage() {
  const { api, base, epoch } = useNode();
  const pool = useAsync((signal) => api.pending(signal), [base, epoch]);
  const reload = useThrottled(pool.reload, 500);
  useNodeEvent((e) => {
    if (e.type === 'transaction' || e.type === 'mempool' || e.type === 'block' || e.type === 'reorg') reload();
  });
  const txs = pool.data ? byFee(pool.data) : null;
  const totalFees = txs ? txs.reduce((s, t) => s + t.input.fee, 0) : 0;

  return (
    <>
      <PageTitle sub="Transfers waiting to be mined, highest fee first. Updates live.">Mempool</PageTitle>
      <ErrorBox error={pool.error} title="Cannot load the mempool" />
      {!txs && pool.loading && <Loading what="Loading pending transactions" />}
      {txs && txs.length === 0 && <Empty>The mempool is empty: every transfer has been mined.</Empty>}
      {txs && txs.length > 0 && (
        <>
          <p>
            {formatInt(txs.length)} pending transfer{txs.length === 1 ? '' : 's'} paying <Coins n={totalFees} /> in fees.
          </p>
          <DataTable rows={txs} columns={COLUMNS} rowKey={(t) => t.id} testid="mempool-table" />
        </>
      )}
    </>
  );
}
