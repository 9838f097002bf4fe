import { useState, type FormEvent } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import { Empty, ErrorBox, Loading, PageTitle } from '../components/common';
import { BlockTable, summarise } from '../components/BlockTable';
import { formatInt, plural } from '../format';

export const PAGE_SIZE = 20;

/** The heights of the page whose highest block is `top` (newest first). */
export function pageRange(top: number, size = PAGE_SIZE): { from: number; limit: number } {
  const from = Math.max(0, top - size + 1);
  return { from, limit: top - from + 1 };
}

export function BlocksPage() {
  const { api, base, epoch } = useNode();
  const { query } = useLocation();
  const topParam = query.get('top');
  const top = topParam !== null && /^\d+$/.test(topParam) ? Number(topParam) : null;
  const page = useAsync(
    async (signal) => {
      if (top === null) return api.blocks({ limit: PAGE_SIZE }, signal);
      return api.blocks(pageRange(top), signal);
    },
    [base, top, epoch],
  );
  const reload = useThrottled(page.reload, 1000);
  useNodeEvent((e) => {
    // The newest page follows the chain; older pages only change on a reorganisation.
    if ((e.type === 'block' && top === null) || e.type === 'reorg') reload();
  });

  const [jump, setJump] = useState('');
  const onJump = (e: FormEvent) => {
    e.preventDefault();
    const v = jump.trim();
    if (/^\d+$/.test(v)) navigate(`/blocks/${v}`);
  };

  const blocks = page.data ? [...page.data.blocks].reverse() : null;
  const height = page.data?.height ?? null;
  const shownTop = blocks && blocks.length ? blocks[0].block_number : top;
  const shownBottom = blocks && blocks.length ? blocks[blocks.length - 1].block_number : null;

  return (
    <>
      <PageTitle sub={height !== null ? `The chain has ${plural(height + 1, 'block')} (height ${formatInt(height)}).` : undefined}>
        Blocks
      </PageTitle>
      <div className="toolbar">
        <nav aria-label="Block pages" className="pager">
          {top === null ? <span className="muted">Newest blocks, live</span> : <Link to="/blocks">« Newest</Link>}
          {shownTop !== null && height !== null && shownTop < height && (
            <Link to={shownTop + PAGE_SIZE >= height ? '/blocks' : `/blocks?top=${shownTop + PAGE_SIZE}`}>‹ Newer</Link>
          )}
          {shownBottom !== null && shownBottom > 0 && <Link to={`/blocks?top=${shownBottom - 1}`}>Older ›</Link>}
          {shownBottom !== null && shownBottom > 0 && (
            <Link to={`/blocks?top=${Math.min(PAGE_SIZE - 1, shownBottom - 1)}`}>Oldest »</Link>
          )}
        </nav>
        <form onSubmit={onJump} className="jump">
          <label htmlFor="jump">Go to height</label>
          <input id="jump" inputMode="numeric" pattern="[0-9]*" value={jump} onChange={(e) => setJump(e.target.value)} size={8} />
          <button type="submit">Go</button>
        </form>
      </div>
      <ErrorBox error={page.error} title="Cannot load blocks" />
      {!blocks && page.loading && <Loading what="Loading blocks" />}
      {blocks && blocks.length === 0 && <Empty>No blocks in this range.</Empty>}
      {blocks && blocks.length > 0 && (
        <BlockTable
          blocks={blocks.map(summarise)}
          testid="blocks-table"
          caption={`Blocks ${shownBottom} to ${shownTop}, newest first`}
          difficulty
          genesisLabel
        />
      )}
    </>
  );
}
