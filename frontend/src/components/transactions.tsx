// Tables of transactions: a block's transactions, an address's history and a pending transfer
// (the address, block and wallet pages).
import { DataTable, type Column } from './Table';
import { Badge, BlockLink, Coins, Empty, Hash, ShortAddress, Time, TxId } from './common';
import type { HistoryEntry, Transaction, Transfer, TxOutput } from '../types';

/** What a transfer pays to others: every output except the change back to the sender. */
export function payments(tx: Transfer): TxOutput[] {
  return tx.outputs.filter((o) => o.address !== tx.input.address);
}

/** What leaves the sender (a transfer), or the coins created (a reward). */
export function txAmount(t: Transaction): number {
  if (t.kind === 'Reward') return t.tx.output.amount;
  return payments(t.tx).reduce((s, o) => s + o.amount, 0);
}

const TX_COLUMNS: Column<Transaction>[] = [
  { header: 'Transaction', cell: (t) => <TxId id={t.tx.id} /> },
  {
    header: 'Kind',
    cell: (t) => (t.kind === 'Reward' ? <Badge tone="info">reward</Badge> : <Badge tone="muted">transfer</Badge>),
  },
  {
    header: 'From',
    cell: (t) => (t.kind === 'Reward' ? <span className="muted">new coins</span> : <ShortAddress address={t.tx.input.address} />),
  },
  {
    header: 'To',
    cell: (t) => {
      const to = t.kind === 'Reward' ? [t.tx.output] : payments(t.tx);
      return (
        <>
          {to.length === 0 && <span className="muted">(itself)</span>}
          {to.map((o, i) => (
            <div key={i}>
              <ShortAddress address={o.address} /> <Coins n={o.amount} />
            </div>
          ))}
        </>
      );
    },
  },
  { header: 'Amount', num: true, cell: (t) => <Coins n={txAmount(t)} /> },
  { header: 'Fee', num: true, cell: (t) => (t.kind === 'Normal' ? <Coins n={t.tx.input.fee} /> : '—') },
];

/** The transactions of a block. */
export function TxTable({ txs }: { txs: Transaction[] }) {
  if (txs.length === 0) return <Empty>No transactions.</Empty>;
  return <DataTable rows={txs} columns={TX_COLUMNS} rowKey={(t) => t.tx.id} testid="tx-table" />;
}

const HISTORY_COLUMNS: Column<HistoryEntry>[] = [
  { header: 'Block', cell: (h) => <BlockLink height={h.height} id={h.block_hash} /> },
  { header: 'When', cell: (h) => <Time ts={h.timestamp} /> },
  { header: 'Transaction', cell: (h) => <TxId id={h.transaction.tx.id} /> },
  { header: 'Kind', cell: (h) => (h.transaction.kind === 'Reward' ? 'reward' : 'transfer') },
  { header: 'Received', num: true, cell: (h) => (h.received ? <Coins n={h.received} className="plus" /> : '—') },
  { header: 'Spent', num: true, cell: (h) => (h.spent ? <Coins n={h.spent} className="minus" /> : '—') },
  {
    header: 'Net',
    num: true,
    title: 'Received minus spent (a transfer spends the whole balance and gets change back)',
    cell: (h) => <Coins n={h.received - h.spent} className={h.received >= h.spent ? 'plus' : 'minus'} />,
  },
];

/** An address's confirmed transactions, newest first. */
export function HistoryTable({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0) return <Empty>No confirmed transactions.</Empty>;
  return (
    <DataTable
      rows={history}
      columns={HISTORY_COLUMNS}
      rowKey={(h) => `${h.transaction.tx.id}-${h.height}`}
      testid="history-table"
    />
  );
}

const PAYMENT_COLUMNS: Column<TxOutput>[] = [
  { header: 'Pays', cell: (o) => <Hash value={o.address} kind="address" /> },
  { header: 'Amount', num: true, cell: (o) => <Coins n={o.amount} /> },
];

/** A transfer waiting in the mempool: what it pays, and the change (`me`: this wallet's address). */
export function PendingTransfer({ tx, me }: { tx: Transfer; me?: string }) {
  const pays = payments(tx);
  const change = tx.outputs.find((o) => o.address === tx.input.address);
  return (
    <div className="pending-tx" data-testid="pending-transfer">
      <p>
        <Badge tone="warn">pending</Badge> <Hash value={tx.id} kind="tx" /> · nonce {tx.input.nonce} · fee{' '}
        <Coins n={tx.input.fee} /> · signed <Time ts={tx.input.timestamp} />
      </p>
      <DataTable
        compact
        rows={pays}
        columns={PAYMENT_COLUMNS}
        rowKey={(o) => o.address}
        extraRows={
          <>
            {pays.length === 0 && (
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
          </>
        }
      />
    </div>
  );
}
