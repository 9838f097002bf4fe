import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Coins, Empty, ErrorBox, Hash, Loading, PageTitle, Time } from '../components/common';
import { formatInt } from '../format';
import type { Transfer } from '../types';

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
          <div className="table-wrap">
            <table className="table" data-testid="mempool-table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Transaction</th>
                  <th scope="col" className="num">Fee</th>
                  <th scope="col">From</th>
                  <th scope="col">Pays</th>
                  <th scope="col">Signed</th>
                </tr>
              </thead>
              <tbody>
                {txs.map((t, i) => {
                  const pays = t.outputs.filter((o) => o.address !== t.input.address);
                  return (
                    <tr key={t.id}>
                      <td className="num">{i + 1}</td>
                      <td>
                        <Hash value={t.id} kind="tx" copy={false} />
                      </td>
                      <td className="num">
                        <Coins n={t.input.fee} />
                      </td>
                      <td>
                        <Hash value={t.input.address} kind="address" copy={false} head={6} tail={4} />
                      </td>
                      <td>
                        {pays.length === 0 && <span className="muted">itself</span>}
                        {pays.map((o) => (
                          <div key={o.address}>
                            <Coins n={o.amount} /> → <Hash value={o.address} kind="address" copy={false} head={6} tail={4} />
                          </div>
                        ))}
                      </td>
                      <td>
                        <Time ts={t.input.timestamp} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
