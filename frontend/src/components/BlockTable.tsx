// A list of blocks, newest first: the blocks page and the overview's recent blocks.
import type { ReactNode } from 'react';
import { DataTable, type Column } from './Table';
import { BlockLink, Coins, Hash, ShortAddress, Time } from './common';
import { formatDifficulty } from '../format';
import type { Block, BlockSummary } from '../types';

/** A block as the lists show it (the shape `/events` pushes). */
export function summarise(b: Block): BlockSummary {
  const reward = b.data.find((t) => t.kind === 'Reward');
  return {
    block_number: b.block_number,
    hash: b.hash,
    last_hash: b.last_hash,
    timestamp: b.timestamp,
    transactions: b.data.length,
    difficulty: b.difficulty,
    miner: reward && reward.kind === 'Reward' ? reward.tx.output.address : null,
    reward: reward && reward.kind === 'Reward' ? reward.tx.output.amount : null,
    data: reward && reward.kind === 'Reward' ? reward.tx.coinbase.data : '',
  };
}

/** A row; `fresh` highlights a block that just arrived live. */
export type BlockRow = BlockSummary & { fresh?: boolean };

export function BlockTable({
  blocks,
  testid,
  caption,
  difficulty = false,
  genesisLabel = false,
}: {
  blocks: BlockRow[];
  testid: string;
  caption?: ReactNode;
  /** Show each block's difficulty. */
  difficulty?: boolean;
  /** Say "genesis" instead of the genesis block's time. */
  genesisLabel?: boolean;
}) {
  const columns: (Column<BlockRow> | false)[] = [
    { header: 'Height', cell: (b) => <BlockLink height={b.block_number} /> },
    { header: 'Hash', cell: (b) => <Hash value={b.hash} kind="block" copy={false} /> },
    {
      header: 'Mined',
      cell: (b) =>
        genesisLabel && b.block_number === 0 ? <span className="muted">genesis</span> : <Time ts={b.timestamp} />,
    },
    { header: 'Txs', num: true, cell: (b) => b.transactions },
    difficulty && { header: 'Difficulty', num: true, cell: (b) => formatDifficulty(b.difficulty) },
    { header: 'Miner', cell: (b) => (b.miner ? <ShortAddress address={b.miner} /> : '—') },
    { header: 'Reward', num: true, cell: (b) => (b.reward !== null ? <Coins n={b.reward} /> : '—') },
  ];
  return (
    <DataTable
      rows={blocks}
      columns={columns}
      rowKey={(b) => b.hash}
      rowAttributes={(b) => ({ className: b.fresh ? 'fresh' : undefined, 'data-height': b.block_number })}
      testid={testid}
      caption={caption}
    />
  );
}
