// Hand-rolled SVG charts. Geometry uses approximate numbers; every label a person reads is
// formatted from the exact decimal string.
import { approx } from "../lib/decimal";
import { day, moneyOr } from "../lib/format";

export type Point = { start: string; value: string | null; count?: number };

function scale(points: Point[]): { max: number } {
  const values = points.filter((p) => p.value !== null).map((p) => approx(p.value!));
  return { max: Math.max(...values, 0) || 1 };
}

/** A line over time with gaps where a bucket has no value ("not enough data", not zero). */
export function LineChart({ points, label }: { points: Point[]; label: string }) {
  const width = 640;
  const height = 200;
  const pad = { left: 64, right: 12, top: 12, bottom: 28 };
  const { max } = scale(points);
  const x = (i: number) =>
    pad.left + (points.length <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (points.length - 1));
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const segments: string[] = [];
  let current = "";
  points.forEach((p, i) => {
    if (p.value === null) {
      if (current) segments.push(current);
      current = "";
      return;
    }
    current += `${current ? "L" : "M"}${x(i).toFixed(1)},${y(approx(p.value)).toFixed(1)}`;
  });
  if (current) segments.push(current);
  const shown = points.filter((p) => p.value !== null);
  const last = shown[shown.length - 1];
  const summary = last
    ? `${label}: latest ${moneyOr(last.value)} (bucket from ${day(last.start)}); ${shown.length} of ${points.length} buckets have a value.`
    : `${label}: no bucket has a value yet.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
        <line x1={pad.left} y1={y(0)} x2={width - pad.right} y2={y(0)} class="axis" />
        <line x1={pad.left} y1={y(max)} x2={width - pad.right} y2={y(max)} class="gridline" />
        <text x={pad.left - 6} y={y(max) + 4} text-anchor="end" class="tick">
          {moneyOr(String(max))}
        </text>
        <text x={pad.left - 6} y={y(0) + 4} text-anchor="end" class="tick">
          $0
        </text>
        {points.length > 0 ? (
          <>
            <text x={x(0)} y={height - 8} class="tick">
              {day(points[0].start)}
            </text>
            <text x={x(points.length - 1)} y={height - 8} text-anchor="end" class="tick">
              {day(points[points.length - 1].start)}
            </text>
          </>
        ) : null}
        {segments.map((d) => (
          <path d={d} class="line" />
        ))}
        {points.map((p, i) =>
          p.value === null ? null : (
            <circle cx={x(i)} cy={y(approx(p.value))} r="3" class="dot">
              <title>
                {day(p.start)}: {moneyOr(p.value)}
              </title>
            </circle>
          ),
        )}
      </svg>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}

export function Sparkline({ points, label }: { points: Point[]; label: string }) {
  const width = 120;
  const height = 28;
  const { max } = scale(points);
  let d = "";
  points.forEach((p, i) => {
    if (p.value === null) return;
    const px = points.length <= 1 ? 0 : (i * width) / (points.length - 1);
    const py = 2 + (1 - approx(p.value) / max) * (height - 4);
    d += `${d ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`;
  });
  const shown = points.filter((p) => p.value !== null);
  return (
    <svg class="spark" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img"
      aria-label={shown.length ? `${label}, ${shown.length} points` : `${label}: not enough data yet`}>
      {d ? <path d={d} class="line" /> : <text x="0" y="18" class="tick">no data yet</text>}
    </svg>
  );
}

export type Bar = { label: string; value: string; share: number; note?: string };

/** Horizontal bars (shares of a whole, or a funnel's counts relative to the first rung). */
export function Bars({ bars, label }: { bars: Bar[]; label: string }) {
  return (
    <ul class="bars" aria-label={label}>
      {bars.map((bar) => (
        <li>
          <span class="bar-label">{bar.label}</span>
          <span class="bar-track" aria-hidden="true">
            <span class="bar-fill" style={{ width: `${Math.max(0, Math.min(1, bar.share)) * 100}%` }} />
          </span>
          <span class="bar-value">
            {bar.value}
            {bar.note ? <small> {bar.note}</small> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
