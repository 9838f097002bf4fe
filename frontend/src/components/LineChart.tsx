// A hand-written responsive SVG line chart (no chart library).
import { useEffect, useRef, useState, type MouseEvent } from 'react';

export interface Series {
  name: string;
  className: string;
  points: { x: number; y: number }[];
  /** Draw as steps (value holds until the next sample). */
  step?: boolean;
  /** Mark values cut by yMaxClamp (default true). */
  markClipped?: boolean;
}

export interface RefLine {
  y: number;
  label: string;
}

/** Round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) {
    const d = Math.abs(max) || 1;
    min -= d / 2;
    max += d / 2;
  }
  const span = max - min;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const start = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function LineChart({
  series,
  refLines = [],
  height = 240,
  formatX = (x) => String(x),
  formatY = (y) => String(y),
  yMin,
  yMaxClamp,
  title,
  description,
}: {
  series: Series[];
  refLines?: RefLine[];
  height?: number;
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  yMin?: number;
  /** Values above this are drawn at the top edge (outliers would flatten everything else). */
  yMaxClamp?: number;
  title: string;
  description?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  const [hover, setHover] = useState<number | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(260, Math.floor(el.clientWidth || 640)));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const all = series.flatMap((s) => s.points);
  const m = { l: 56, r: 12, t: 12, b: 28 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;

  if (all.length === 0) {
    return (
      <figure className="chart" ref={box}>
        <p className="empty">No data yet.</p>
      </figure>
    );
  }

  let x0 = Math.min(...all.map((p) => p.x));
  let x1 = Math.max(...all.map((p) => p.x));
  if (x0 === x1) {
    x0 -= 1;
    x1 += 1;
  }
  const ys = [...all.map((p) => p.y), ...refLines.map((r) => r.y)];
  let y0 = yMin ?? Math.min(...ys);
  let y1 = Math.max(...ys);
  const clipped = yMaxClamp !== undefined && y1 > yMaxClamp;
  if (clipped) y1 = yMaxClamp!;
  if (y1 === y0) y1 = y0 + 1;
  const yt = niceTicks(y0, y1, 4);
  y0 = Math.min(y0, yt[0] ?? y0);
  y1 = Math.max(y1, yt[yt.length - 1] ?? y1);
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor(w / 110)));
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => m.t + h - ((Math.min(y, y1) - y0) / (y1 - y0)) * h;

  const path = (s: Series) => {
    let d = '';
    s.points.forEach((p, i) => {
      const X = sx(p.x).toFixed(1);
      const Y = sy(p.y).toFixed(1);
      if (i === 0) d += `M${X},${Y}`;
      else if (s.step) d += `H${X}V${Y}`;
      else d += `L${X},${Y}`;
    });
    return d;
  };

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * width;
    if (px < m.l || px > m.l + w) return setHover(null);
    setHover(x0 + ((px - m.l) / w) * (x1 - x0));
  };

  const nearest = (s: Series, x: number) => {
    let best = s.points[0];
    for (const p of s.points) if (Math.abs(p.x - x) < Math.abs(best.x - x)) best = p;
    return best;
  };
  const hoverPoints =
    hover === null ? [] : series.filter((s) => s.points.length).map((s) => ({ s, p: nearest(s, hover) }));

  return (
    <figure className="chart" ref={box}>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${title}${description ? `: ${description}` : ''}`}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      >
        <g className="grid">
          {yt.map((t) => (
            <g key={`y${t}`}>
              <line x1={m.l} x2={m.l + w} y1={sy(t)} y2={sy(t)} />
              <text x={m.l - 6} y={sy(t)} dy="0.32em" textAnchor="end">
                {formatY(t)}
              </text>
            </g>
          ))}
          {xt.map((t) => (
            <text key={`x${t}`} x={sx(t)} y={height - 8} textAnchor="middle">
              {formatX(t)}
            </text>
          ))}
        </g>
        {refLines.map((r) => (
          <g key={r.label} className="ref-line">
            <line x1={m.l} x2={m.l + w} y1={sy(r.y)} y2={sy(r.y)} />
            <text x={m.l + w - 4} y={sy(r.y) - 4} textAnchor="end">
              {r.label}
            </text>
          </g>
        ))}
        {series.map((s) => (
          <g key={s.name} className={`series ${s.className}`}>
            <path d={path(s)} fill="none" />
            {s.points.length <= 60 &&
              s.points.map((p, i) => <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={2.2} />)}
            {clipped &&
              s.markClipped !== false &&
              s.points
                .filter((p) => p.y > y1)
                .map((p, i) => (
                  <path key={`c${i}`} className="clip-mark" d={`M${sx(p.x) - 4},${m.t + 6}L${sx(p.x)},${m.t}L${sx(p.x) + 4},${m.t + 6}`} />
                ))}
          </g>
        ))}
        {hover !== null && hoverPoints.length > 0 && (
          <g className="hover">
            <line x1={sx(hoverPoints[0].p.x)} x2={sx(hoverPoints[0].p.x)} y1={m.t} y2={m.t + h} />
            {hoverPoints.map(({ s, p }) => (
              <circle key={s.name} className={s.className} cx={sx(p.x)} cy={sy(p.y)} r={4} />
            ))}
          </g>
        )}
      </svg>
      <figcaption>
        <span className="legend">
          {series.map((s) => (
            <span key={s.name} className={`legend-item ${s.className}`}>
              <span className="swatch" aria-hidden="true" /> {s.name}
            </span>
          ))}
          {refLines.map((r) => (
            <span key={r.label} className="legend-item ref">
              <span className="swatch" aria-hidden="true" /> {r.label}
            </span>
          ))}
        </span>
        {clipped && <span className="muted">▲ marks values above {formatY(y1)}, drawn at the top</span>}
        <span className="hover-readout" aria-live="off">
          {hoverPoints.length > 0
            ? `${formatX(hoverPoints[0].p.x)}: ${hoverPoints.map(({ s, p }) => `${s.name} ${formatY(p.y)}`).join(', ')}`
            : description ?? ''}
        </span>
      </figcaption>
    </figure>
  );
}
