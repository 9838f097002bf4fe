import { useEffect } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Link, navigate } from '../router';
import { Badge, Coins, ErrorBox, Field, Hash, Loading, PageTitle, Time } from '../components/common';
import { TxTable } from '../components/transactions';
import { formatBytes, formatDateTime, formatDifficulty, formatInt } from '../format';
import { BlockStandingFields, RefusedBlockNote } from '../components/standing';

export function BlockPage({ id }: { id: string }) {
  const { api, base, epoch } = useNode();
  const block = useAsync((signal) => api.block(id, signal), [base, id, epoch]);
  const reload = useThrottled(block.reload, 1000);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg') reload();
  });
  const b = block.data;

  // Keyboard: [ and ] go to the parent and child.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (!b || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (e.key === '[' && b.block_number > 0) navigate(`/blocks/${b.last_hash}`);
      if (e.key === ']' && b.next_hash) navigate(`/blocks/${b.next_hash}`);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [b]);

  if (block.error && !b) {
    return (
      <>
        <PageTitle>Block</PageTitle>
        <ErrorBox error={block.error} title={block.error.notFound ? 'Not found' : 'Cannot load the block'} />
        <RefusedBlockNote error={block.error} id={id} />
      </>
    );
  }
  if (!b) return <Loading what={`Loading block ${id}`} />;
  const reward = b.data.find((t) => t.kind === 'Reward');
  const rewardTx = reward && reward.kind === 'Reward' ? reward.tx : null;

  return (
    <>
      <PageTitle sub={<Hash value={b.hash} full />}>{`Block #${formatInt(b.block_number)}`}</PageTitle>
      <nav className="pager" aria-label="Neighbouring blocks">
        {b.block_number > 0 ? (
          <Link to={`/blocks/${b.last_hash}`} rel="prev" title="Parent block ([)">
            ‹ Parent #{formatInt(b.block_number - 1)}
          </Link>
        ) : (
          <span className="muted">Genesis: no parent</span>
        )}
        {b.next_hash ? (
          <Link to={`/blocks/${b.next_hash}`} rel="next" title="Child block (])">
            Child #{formatInt(b.block_number + 1)} ›
          </Link>
        ) : (
          <span className="muted">{b.in_best_chain ? 'No child yet: this is the tip' : 'No child on the best chain'}</span>
        )}
      </nav>
      <p className="callout">
        <Link to={`/blocks/${b.hash}/explain`} data-testid="block-explain-link">
          Explain this block
        </Link>
        : its 96 header bytes field by field, the hash recomputed in your browser and compared with the target, and the Merkle
        tree with any transaction’s path.
      </p>
      <section className="card" aria-labelledby="header-h">
        <h2 id="header-h">Header</h2>
        <dl className="fields" data-testid="block-fields">
          <Field label="Height">{formatInt(b.block_number)}</Field>
          <Field label="Status">
            {b.in_best_chain ? (
              <Badge tone="ok">{`${formatInt(b.confirmations)} confirmation${b.confirmations === 1 ? '' : 's'}`}</Badge>
            ) : (
              <Badge tone="warn">not on the best chain (stale fork)</Badge>
            )}
          </Field>
          <BlockStandingFields b={b} />
          <Field label="Hash">
            <Hash value={b.hash} full />
          </Field>
          <Field label="Previous block">
            {b.block_number > 0 ? <Hash value={b.last_hash} kind="block" full /> : <Hash value={b.last_hash} full />}
          </Field>
          <Field label="Next block">{b.next_hash ? <Hash value={b.next_hash} kind="block" full /> : '—'}</Field>
          <Field label="Timestamp">
            {b.timestamp > 0 ? (
              <>
                {formatDateTime(b.timestamp)} (<Time ts={b.timestamp} />) · <code>{b.timestamp}</code> ms
              </>
            ) : (
              <code>0</code>
            )}
          </Field>
          <Field label="Difficulty">{formatDifficulty(b.difficulty)}</Field>
          <Field label="Bits">
            <code>0x{b.bits.toString(16).padStart(8, '0')}</code> ({b.bits})
          </Field>
          <Field label="Target">
            <Hash value={b.target} full />
          </Field>
          <Field label="Nonce">
            <code>{String(b.nonce)}</code>
          </Field>
          <Field label="Merkle root">
            <Hash value={b.merkle_root} full />
          </Field>
          <Field label="Version">{b.version}</Field>
          <Field label="Size">{formatBytes(b.size)}</Field>
          <Field label="Transactions">{formatInt(b.data.length)}</Field>
          <Field label="Subsidy">
            <Coins n={b.subsidy} />
          </Field>
          <Field label="Fees">
            <Coins n={b.fees} />
          </Field>
          <Field label="Reward paid">
            {rewardTx ? (
              <>
                <Coins n={rewardTx.output.amount} /> to <Hash value={rewardTx.output.address} kind="address" />
              </>
            ) : (
              <span className="muted">none (genesis)</span>
            )}
          </Field>
          {rewardTx && rewardTx.coinbase.data && (
            <Field label="Reward text">
              <q>{rewardTx.coinbase.data}</q>
            </Field>
          )}
        </dl>
      </section>
      <section className="card" aria-labelledby="txs-h">
        <h2 id="txs-h">Transactions ({formatInt(b.data.length)})</h2>
        <TxTable txs={b.data} />
      </section>
    </>
  );
}
