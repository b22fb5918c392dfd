/**
 * The HTML report of a simulation: one self-contained page (inline SVG and CSS, no scripts,
 * no external fonts or URLs) with the unallocated-GPU and fragmentation curves of every
 * policy run, and the published FGD artifact means drawn dashed beside ours.
 * Colours are the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies); every curve also carries a text label at its end, and published curves
 * are dashed, so nothing depends on colour alone.
 */
import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { PublishedCurves } from './published.js';

export interface ReportCurve {
  readonly label: string;
  readonly policy: string;
  readonly published: boolean;
  /** Per arrived % 0…130. */
  readonly values: readonly (number | null)[];
}

export interface ReportRunSummary {
  readonly policy: string;
  readonly seeds: readonly number[];
  /** Mean over seeds, per arrived % 0…130. */
  readonly unallocatedPct: readonly (number | null)[];
  readonly fragmentationPct: readonly (number | null)[];
  readonly failedPods: number;
}

export interface ReportInput {
  readonly title: string;
  /** Lines describing the run (files, tune, seeds, cluster size). */
  readonly facts: readonly string[];
  readonly runs: readonly ReportRunSummary[];
  readonly published: readonly PublishedCurves[];
}

const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const POLICY_ORDER = ['tessera', 'fgd', 'bestfit', 'packing', 'clustering', 'dotprod', 'random', 'ffd'];

export function colourOf(policy: string): string {
  const i = POLICY_ORDER.indexOf(policy);
  const k = i >= 0 ? i : POLICY_ORDER.length + [...policy].reduce((a, c) => a + c.charCodeAt(0), 0);
  return PALETTE[k % PALETTE.length] as string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface ChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly xFrom: number;
  readonly xTo: number;
}

function fmt(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** One line chart as an inline SVG string. */
export function renderChart(curves: readonly ReportCurve[], opt: ChartOptions): string {
  const W = 760;
  const H = 420;
  const m = { left: 60, right: 170, top: 34, bottom: 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const c of curves) {
    for (let x = opt.xFrom; x <= opt.xTo; x++) {
      const v = c.values[x];
      if (v === null || v === undefined) continue;
      yMin = Math.min(yMin, v);
      yMax = Math.max(yMax, v);
    }
  }
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  yMin = Math.max(0, Math.floor(yMin - 0.5));
  yMax = Math.ceil(yMax + 0.5);
  const sx = (x: number): number => m.left + ((x - opt.xFrom) / (opt.xTo - opt.xFrom)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(opt.title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.left}" y="20" font-size="15" font-weight="bold">${escapeHtml(opt.title)}</text>`);
  // Grid and axes.
  const yStep = niceStep((yMax - yMin) / 6);
  for (let y = Math.ceil(yMin / yStep) * yStep; y <= yMax + 1e-9; y += yStep) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(sy(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(y)}</text>`);
  }
  const xStep = niceStep((opt.xTo - opt.xFrom) / 8);
  for (let x = Math.ceil(opt.xFrom / xStep) * xStep; x <= opt.xTo; x += xStep) {
    parts.push(`<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${m.top + ph + 16}" font-size="11" text-anchor="middle">${x}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 10}" font-size="12" text-anchor="middle">arrived workload (% of GPU capacity)</text>`);
  parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" font-size="12" text-anchor="middle">${escapeHtml(opt.yLabel)}</text>`);
  // Curves, then end labels pushed apart so they do not overlap.
  const ends: { y: number; text: string; colour: string }[] = [];
  for (const c of curves) {
    const colour = colourOf(c.policy);
    const pts: string[] = [];
    let last: number | null = null;
    for (let x = opt.xFrom; x <= opt.xTo; x++) {
      const v = c.values[x];
      if (v === null || v === undefined) continue;
      pts.push(`${sx(x).toFixed(1)},${sy(v).toFixed(1)}`);
      last = v;
    }
    if (pts.length === 0 || last === null) continue;
    const dash = c.published ? ' stroke-dasharray="6 4"' : '';
    const width = c.published ? 1.5 : 2.5;
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="${width}"${dash} points="${pts.join(' ')}"><title>${escapeHtml(c.label)}</title></polyline>`);
    ends.push({ y: sy(last), text: `${c.label} ${fmt(last)}`, colour });
  }
  ends.sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i++) {
    const prev = ends[i - 1] as { y: number };
    const cur = ends[i] as { y: number };
    if (cur.y < prev.y + 13) cur.y = prev.y + 13;
  }
  for (const e of ends) {
    parts.push(`<text x="${m.left + pw + 6}" y="${(e.y + 4).toFixed(1)}" font-size="11" fill="${e.colour}">${escapeHtml(e.text)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const k of [1, 2, 5, 10]) if (raw <= k * p) return k * p;
  return 10 * p;
}

function at(values: readonly (number | null)[], x: number): string {
  const v = values[x];
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

export function renderReport(input: ReportInput): string {
  const ours: ReportCurve[] = input.runs.map((r) => ({ label: `${r.policy} (ours)`, policy: r.policy, published: false, values: r.unallocatedPct }));
  const pub: ReportCurve[] = input.published.map((p) => ({ label: `${p.policy} (FGD artifact)`, policy: p.policy, published: true, values: p.unallocatedPct }));
  const oursFrag: ReportCurve[] = input.runs.map((r) => ({ label: `${r.policy} (ours)`, policy: r.policy, published: false, values: r.fragmentationPct }));
  const pubFrag: ReportCurve[] = input.published.map((p) => ({ label: `${p.policy} (FGD artifact)`, policy: p.policy, published: true, values: p.fragmentationPct }));
  const pubByPolicy = new Map(input.published.map((p) => [p.policy, p]));
  const rows = input.runs.map((r) => {
    // Our own policies have no published run: compare with the artifact's FGD.
    const own = pubByPolicy.get(r.policy);
    const p = own ?? pubByPolicy.get('fgd');
    const tag = own === undefined && p !== undefined ? ' (FGD)' : '';
    const cells = [95, 100, 130].map((x) => `<td>${at(r.unallocatedPct, x)}</td><td class="pub">${p ? at(p.unallocatedPct, x) + tag : '–'}</td>`).join('');
    return `<tr><th scope="row">${escapeHtml(r.policy)}</th><td>${r.seeds.join(', ')}</td>${cells}<td>${at(r.fragmentationPct, 100)}</td><td>${r.failedPods}</td></tr>`;
  });
  const pubOnly = input.published.filter((p) => !input.runs.some((r) => r.policy === p.policy));
  const pubRows = pubOnly.map(
    (p) => `<tr><th scope="row">${escapeHtml(p.policy)}</th><td>published only (${p.seeds} seeds)</td>${[95, 100, 130].map((x) => `<td>–</td><td class="pub">${at(p.unallocatedPct, x)}</td>`).join('')}<td>–</td><td>–</td></tr>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(input.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #111; max-width: 1000px; }
table { border-collapse: collapse; margin: 12px 0 24px; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: right; }
th[scope=row] { text-align: left; }
td.pub { color: #555; font-style: italic; }
.note { color: #444; font-size: 13px; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<ul>${input.facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>
<h2>Unallocated GPU % (mean over seeds)</h2>
<table>
<thead><tr><th rowspan="2">policy</th><th rowspan="2">seeds</th><th colspan="2">arrived 95 %</th><th colspan="2">arrived 100 %</th><th colspan="2">arrived 130 %</th><th rowspan="2">frag % at 100</th><th rowspan="2">failed pods (mean)</th></tr>
<tr><th>ours</th><th>published</th><th>ours</th><th>published</th><th>ours</th><th>published</th></tr></thead>
<tbody>
${[...rows, ...pubRows].join('\n')}
</tbody>
</table>
<p class="note">Solid lines: our runs. Dashed lines: the FGD authors' published means over seeds 42–51
(hkust-adsl/kubernetes-scheduler-simulator @ 8f3d6417, experiments/analysis/expected_results/).
Our seeds drive our own PRNG, so runs match theirs in distribution, not draw for draw.</p>
${renderChart([...ours, ...pub], { title: 'Unallocated GPUs vs arrived workload', yLabel: 'unallocated GPU (% of capacity)', xFrom: 80, xTo: 130 })}
${renderChart([...oursFrag, ...pubFrag], { title: 'GPU fragmentation vs arrived workload', yLabel: 'fragmented GPU (% of capacity)', xFrom: 0, xTo: 130 })}
<p class="note">Data: Alibaba cluster-trace-gpu-v2023 (openb), research/study use; cite Weng et al.,
"Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC'23.</p>
</body>
</html>
`;
}

/** Write the report atomically: a temp file beside the target, then rename. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
