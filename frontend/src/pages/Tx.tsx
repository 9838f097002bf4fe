import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Link } from '../router';
import { Badge, BlockLink, Coins, ErrorBox, Field, Hash, Loading, PageTitle, Time } from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { txAmount } from '../components/transactions';
import { formatDateTime, formatInt } from '../format';
import type { TxOutput } from '../types';
import { TxFirstSeen } from '../components/standing';

function outputColumns(sender: string): Column<TxOutput>[] {
  return [
    { header: 'Address', cell: (o) => <Hash value={o.address} kind="address" /> },
    { header: 'Amount', num: true, cell: (o) => <Coins n={o.amount} /> },
    { header: 'Note', cell: (o) => (o.address === sender ? <span className="muted">change</span> : 'payment') },
  ];
}

export function TxPage({ id }: { id: string }) {
  const { api, base, epoch } = useNode();
  const tx = useAsync((signal) => api.transaction(id, signal), [base, id, epoch]);
  const reload = useThrottled(tx.reload, 700);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg' || e.type === 'mempool') reload();
  });
  const d = tx.data;

  if (tx.error && !d) {
    return (
      <>
        <PageTitle sub={<Hash value={id} full />}>Transaction</PageTitle>
        <ErrorBox error={tx.error} title={tx.error.notFound ? 'Not found' : 'Cannot load the transaction'} />
        {tx.error.notFound && (
          <p className="muted">
            The node knows no such transaction, pending or confirmed. A pending transfer of a node’s wallet is signed
            again (with a new id) when its balance changes before it is mined: see the <Link to="/wallet">wallet</Link>{' '}
            or the <Link to="/mempool">mempool</Link>.
          </p>
        )}
      </>
    );
  }
  if (!d) return <Loading what="Loading transaction" />;
  const t = d.transaction;

  return (
    <>
      <PageTitle sub={<Hash value={t.tx.id} full />}>{t.kind === 'Reward' ? 'Block reward' : 'Transfer'}</PageTitle>
      <section className="card" aria-labelledby="txstatus-h">
        <h2 id="txstatus-h">Status</h2>
        <p data-testid="tx-status" aria-live="polite">
          {d.status === 'pending' ? (
            <Badge tone="warn">pending</Badge>
          ) : (
            <Badge tone="ok">confirmed</Badge>
          )}{' '}
          {d.status === 'pending' ? (
            <>waiting in the mempool to be mined.</>
          ) : (
            <>
              in block{' '}
              <BlockLink height={d.block_number ?? 0} id={d.block_hash} />
              {d.index !== undefined && <> (position {d.index})</>} · {formatInt(d.confirmations)} confirmation
              {d.confirmations === 1 ? '' : 's'}
            </>
          )}
        </p>
        <TxFirstSeen id={t.tx.id} fs={d.first_seen} />
      </section>
      <p className="callout">
        <Link to={`/tx/${t.tx.id}/explain`} data-testid="tx-explain-link">
          Explain this {t.kind === 'Reward' ? 'reward' : 'transfer'}
        </Link>
        : {t.kind === 'Reward'
          ? 'its preimage field by field and its id recomputed in your browser.'
          : 'its signing preimage field by field, the sighash and txid recomputed and the signature verified in your browser.'}
      </p>
      <section className="card" aria-labelledby="txdetails-h">
        <h2 id="txdetails-h">Details</h2>
        {t.kind === 'Reward' ? (
          <dl className="fields">
            <Field label="Pays">
              <Coins n={t.tx.output.amount} /> to <Hash value={t.tx.output.address} kind="address" full />
            </Field>
            <Field label="For block">
              <BlockLink height={t.tx.coinbase.height} />
            </Field>
            <Field label="Text">{t.tx.coinbase.data ? <q>{t.tx.coinbase.data}</q> : <span className="muted">none</span>}</Field>
          </dl>
        ) : (
          <>
            <dl className="fields">
              <Field label="From">
                <Hash value={t.tx.input.address} kind="address" full />
              </Field>
              <Field label="Sent">
                <Coins n={txAmount(t)} />
              </Field>
              <Field label="Fee">
                <Coins n={t.tx.input.fee} />
              </Field>
              <Field label="Sender’s balance spent">
                <Coins n={t.tx.input.amount} /> (change goes back to the sender)
              </Field>
              <Field label="Sender’s nonce">{formatInt(t.tx.input.nonce)}</Field>
              <Field label="Signed">
                {formatDateTime(t.tx.input.timestamp)} (<Time ts={t.tx.input.timestamp} />)
              </Field>
              <Field label="Signature">
                <Hash value={t.tx.input.signature} head={16} tail={16} />
              </Field>
            </dl>
            <h3>Outputs</h3>
            <DataTable
              rows={t.tx.outputs}
              columns={outputColumns(t.tx.input.address)}
              rowKey={(_o, i) => i}
              testid="tx-outputs"
            />
          </>
        )}
      </section>
    </>
  );
}
