// Small-multiple line chart of one queue over time (SVG, no library). Lines differ by
// dash pattern as well as colour, so they read without colour vision.
import { h } from './dom.js';
import { fmtGpu } from './model.js';

const SERIES = [
  { key: 'used', label: 'used', cls: 's-used' },
  { key: 'guarantee', label: 'guarantee', cls: 's-guarantee' },
  { key: 'borrowed', label: 'borrowed', cls: 's-borrowed' },
  { key: 'lent', label: 'lent', cls: 's-lent' },
];

export function chartLegend() {
  return h(
    'ul',
    { class: 'chart-legend' },
    SERIES.map((s) => h('li', {}, h('svg', { width: 28, height: 10, 'aria-hidden': 'true' }, h('line', { x1: 0, y1: 5, x2: 28, y2: 5, class: s.cls })), ` ${s.label}`)),
  );
}

/** `points`: [{ atMs, used, guarantee, borrowed, lent, limit }] oldest first. */
export function queueChart(title, points, nowMs) {
  const W = 300;
  const H = 120;
  const L = 34;
  const B = 18;
  if (points.length === 0) return h('figure', { class: 'chart' }, h('figcaption', {}, title), h('p', { class: 'muted' }, 'no samples yet'));
  const t0 = points[0].atMs;
  const t1 = Math.max(points[points.length - 1].atMs, t0 + 1);
  let top = 0;
  for (const p of points) top = Math.max(top, p.used, p.guarantee, p.borrowed, p.lent);
  top = top <= 0 ? 1 : Math.ceil(top * 1.15);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 6);
  const y = (v) => 6 + (1 - v / top) * (H - B - 6);
  const line = (key) => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.atMs).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const minutes = Math.round((t1 - t0) / 60000);
  const desc = `${title}: now used ${fmtGpu(last.used)}, guarantee ${fmtGpu(last.guarantee)}, borrowed ${fmtGpu(last.borrowed)}, lent ${fmtGpu(last.lent)} GPU, over the last ${minutes} min`;
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, title),
    h(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': desc },
      h('title', {}, desc),
      h('line', { x1: L, y1: y(0), x2: W - 6, y2: y(0), class: 'axis' }),
      h('line', { x1: L, y1: y(top), x2: L, y2: y(0), class: 'axis' }),
      h('text', { x: L - 4, y: y(top) + 4, class: 'tick', 'text-anchor': 'end' }, fmtGpu(top)),
      h('text', { x: L - 4, y: y(0) + 4, class: 'tick', 'text-anchor': 'end' }, '0'),
      h('text', { x: L, y: H - 4, class: 'tick' }, `${Math.max(0, Math.round((nowMs - t0) / 60000))} min ago`),
      h('text', { x: W - 6, y: H - 4, class: 'tick', 'text-anchor': 'end' }, 'now'),
      SERIES.map((s) => h('path', { d: line(s.key), class: `series ${s.cls}` })),
    ),
  );
}
