import { useEffect, useMemo, useState } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync, useNow } from '../hooks';
import { LineChart } from '../components/LineChart';
import { ErrorBox, Loading, PageTitle } from '../components/common';
import { formatDateTime, formatDifficulty, formatDuration, formatInt } from '../format';
import { summarise } from '../components/BlockTable';
import type { BlockSummary } from '../types';

const WINDOWS = [100, 300, 500, 1000];

export interface IntervalPoint {
  height: number;
  ms: number;
}

/** Intervals between consecutive blocks (the genesis block, stamped 0, is skipped). */
export function blockIntervals(blocks: { block_number: number; timestamp: number }[]): IntervalPoint[] {
  const out: IntervalPoint[] = [];
  for (let i = 1; i < blocks.length; i++) {
    const prev = blocks[i - 1];
    const b = blocks[i];
    if (prev.block_number === 0 || prev.timestamp <= 0) continue;
    if (b.block_number !== prev.block_number + 1) continue;
    out.push({ height: b.block_number, ms: b.timestamp - prev.timestamp });
  }
  return out;
}

/** A trailing moving average over `n` points. */
export function movingAverage(values: number[], n: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    out.push(sum / Math.min(i + 1, n));
  }
  return out;
}

export function ChartsPage() {
  const { api, base, epoch, status, mempoolSamples } = useNode();
  const [size, setSize] = useState(300);
  const loaded = useAsync((signal) => api.blocks({ limit: size }, signal), [base, size, epoch]);
  const [blocks, setBlocks] = useState<BlockSummary[] | null>(null);

  useEffect(() => {
    if (loaded.data) setBlocks(loaded.data.blocks.map(summarise));
  }, [loaded.data]);

  useNodeEvent((e) => {
    if (e.type === 'block') {
      setBlocks((bs) => {
        if (!bs) return bs;
        const kept = bs.filter((b) => b.block_number < e.block.block_number);
        const next = [...kept, e.block];
        return next.length > size ? next.slice(next.length - size) : next;
      });
    } else if (e.type === 'reorg') {
      loaded.reload();
    }
  });

  const targetMs = status?.mine_rate_ms ?? null;
  const intervals = useMemo(() => blockIntervals(blocks ?? []), [blocks]);
  const avg = useMemo(() => movingAverage(intervals.map((p) => p.ms), 20), [intervals]);
  const meanMs = intervals.length ? intervals.reduce((s, p) => s + p.ms, 0) / intervals.length : null;
  const sorted = useMemo(() => intervals.map((p) => p.ms).sort((a, b) => a - b), [intervals]);
  const medianMs = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
  // Keep long pauses (a stopped miner) from flattening the chart.
  const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0;
  const clampS = Math.max(((targetMs ?? 1000) * 3) / 1000, (p95 * 1.2) / 1000);

  const now = useNow(2000);
  const t0 = mempoolSamples[0]?.t ?? now;
  const currentMempool = mempoolSamples[mempoolSamples.length - 1]?.n;
  const maxMempool = mempoolSamples.reduce((m, s) => Math.max(m, s.n), 0);

  return (
    <>
      <PageTitle sub="Block interval against the target, difficulty, and the mempool since this page was opened.">
        Charts
      </PageTitle>
      <div className="toolbar">
        <label htmlFor="window">Blocks shown</label>
        <select id="window" value={size} onChange={(e) => setSize(Number(e.target.value))}>
          {WINDOWS.map((w) => (
            <option key={w} value={w}>
              last {w}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox error={loaded.error} title="Cannot load blocks" />
      {!blocks && loaded.loading && <Loading what="Loading blocks" />}
      {blocks && (
        <>
          <section className="card" aria-labelledby="interval-h" data-testid="chart-interval">
            <h2 id="interval-h">Block interval</h2>
            <p className="muted">
              {intervals.length > 0 ? (
                <>
                  Mean over {formatInt(intervals.length)} intervals: <strong>{formatDuration(meanMs)}</strong> · median{' '}
                  <strong>{formatDuration(medianMs)}</strong>
                  {targetMs !== null && (
                    <>
                      {' '}
                      · target (MINE_RATE) <strong>{formatDuration(targetMs)}</strong>
                    </>
                  )}
                </>
              ) : (
                'Not enough blocks yet: an interval needs two blocks after the genesis block.'
              )}
            </p>
            {intervals.length > 0 && (
              <LineChart
                title="Block interval in seconds by height"
                series={[
                  {
                    name: 'interval',
                    className: 's1',
                    points: intervals.map((p) => ({ x: p.height, y: p.ms / 1000 })),
                  },
                  {
                    name: 'average of 20',
                    className: 's2',
                    markClipped: false,
                    points: intervals.map((p, i) => ({ x: p.height, y: avg[i] / 1000 })),
                  },
                ]}
                refLines={targetMs !== null ? [{ y: targetMs / 1000, label: `target ${formatDuration(targetMs)}` }] : []}
                yMin={0}
                yMaxClamp={clampS}
                formatX={(x) => `#${formatInt(x)}`}
                formatY={(y) => `${Number(y.toFixed(2))} s`}
                description={meanMs !== null ? `mean ${formatDuration(meanMs)}` : undefined}
              />
            )}
          </section>
          <section className="card" aria-labelledby="difficulty-h" data-testid="chart-difficulty">
            <h2 id="difficulty-h">Difficulty</h2>
            <p className="muted">
              Current: <strong>{formatDifficulty(blocks[blocks.length - 1]?.difficulty)}</strong> at block #
              {formatInt(blocks[blocks.length - 1]?.block_number)}
            </p>
            <LineChart
              title="Difficulty by height"
              series={[
                {
                  name: 'difficulty',
                  className: 's3',
                  points: blocks.map((b) => ({ x: b.block_number, y: b.difficulty })),
                },
              ]}
              formatX={(x) => `#${formatInt(x)}`}
              formatY={(y) => formatDifficulty(y)}
            />
          </section>
        </>
      )}
      <section className="card" aria-labelledby="mempool-h" data-testid="chart-mempool">
        <h2 id="mempool-h">Mempool size</h2>
        <p className="muted">
          Sampled from live events and status polls since {formatDateTime(t0)}: now{' '}
          <strong>{currentMempool ?? '—'}</strong>, peak <strong>{maxMempool}</strong>.
        </p>
        <LineChart
          title="Pending transactions over time"
          series={[
            {
              name: 'pending transactions',
              className: 's4',
              step: true,
              points: [
                ...mempoolSamples.map((s) => ({ x: (s.t - t0) / 1000, y: s.n })),
                ...(mempoolSamples.length ? [{ x: (Math.max(now, mempoolSamples[mempoolSamples.length - 1].t) - t0) / 1000, y: currentMempool ?? 0 }] : []),
              ],
            },
          ]}
          yMin={0}
          formatX={(x) => (x < 60 ? `${Math.round(x)} s` : formatDuration(x * 1000))}
          formatY={(y) => (Number.isInteger(y) ? String(y) : '')}
        />
      </section>
    </>
  );
}
