// Server-rendered SVG charts: a daily series as an area line with its axis labels, titled and described for screen
// readers, with no script. The numbers behind it are in the page's tables and links.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */

export interface Point {
  day: string;
  value: number;
}

const WIDTH = 560;
const HEIGHT = 160;
const PAD = { left: 40, right: 10, top: 10, bottom: 22 };

/** A round axis maximum at or above `max`: 1, 2 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** A line chart of `points` (one per day, oldest first), labelled `label`. */
export function DailyChart({ label, points }: { label: string; points: Point[] }) {
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const area = points.length ? `${line} L${x(points.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z` : "";
  const first = points[0]?.day ?? "";
  const last = points.at(-1)?.day ?? "";
  const peak = points.reduce<Point | undefined>((best, p) => (best === undefined || p.value > best.value ? p : best), undefined);
  const description = `${label} per day from ${first} to ${last}: ${total} in all${peak ? `, most on ${peak.day} (${peak.value})` : ""}.`;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={description}>
      <title>{description}</title>
      <line class="axis" x1={PAD.left} y1={y(0)} x2={WIDTH - PAD.right} y2={y(0)} />
      <line class="axis" x1={PAD.left} y1={y(max)} x2={WIDTH - PAD.right} y2={y(max)} stroke-dasharray="3 3" />
      <text x={PAD.left - 4} y={y(max) + 4} text-anchor="end">
        {max}
      </text>
      <text x={PAD.left - 4} y={y(0) + 4} text-anchor="end">
        0
      </text>
      <text x={PAD.left} y={HEIGHT - 4}>
        {first}
      </text>
      <text x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">
        {last}
      </text>
      {area ? <path class="area" d={area} /> : null}
      {line ? <path class="line" d={line} /> : null}
    </svg>
  );
}
