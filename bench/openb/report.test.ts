import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPublished } from './published.js';
import { colourOf, renderReport, writeFileAtomic, type ReportRunSummary } from './report.js';

function curve(at100: number): (number | null)[] {
  return Array.from({ length: 131 }, (_, x) => (x < 90 ? 100 - x : at100 - (x - 100) * 0.01));
}

const runs: ReportRunSummary[] = [
  { policy: 'tessera', seeds: [42], unallocatedPct: curve(4.4), fragmentationPct: curve(4.2), failedPods: 900 },
  { policy: 'bestfit', seeds: [42], unallocatedPct: curve(7.1), fragmentationPct: curve(7.0), failedPods: 950 },
];

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('HTML report', () => {
  const published = loadPublished('default');
  const html = renderReport({ title: 'Tessera <test> report', facts: ['pods: x & y'], runs, published });

  it('draws the published FGD means beside ours', () => {
    expect(published.map((p) => p.policy).sort()).toEqual(['bestfit', 'clustering', 'dotprod', 'fgd', 'packing', 'random']);
    // Published default FGD at arrived 100: 4.77 (BENCHMARKS.md T1).
    expect(published.find((p) => p.policy === 'fgd')?.unallocatedPct[100]).toBeCloseTo(4.77, 2);
    expect(html).toContain('fgd (FGD artifact)');
    expect(html).toContain('4.77');
    expect(html).toContain('tessera (ours)');
    expect(html.match(/<svg /g)).toHaveLength(2);
    // 2 runs + 6 published curves in each chart.
    expect(html.match(/<polyline /g)).toHaveLength(16);
  });

  it('is self-contained: no scripts, no external URLs, escaped text', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<link /i);
    expect(html).toContain('Tessera &lt;test&gt; report');
    expect(html).toContain('pods: x &amp; y');
  });

  it('gives every policy a distinct colour', () => {
    const colours = ['tessera', 'fgd', 'bestfit', 'packing', 'clustering', 'dotprod', 'random'].map(colourOf);
    expect(new Set(colours).size).toBe(colours.length);
  });

  it('writes atomically and leaves no temp file behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-report-'));
    const path = join(dir, 'r.html');
    writeFileAtomic(path, html);
    expect(readFileSync(path, 'utf8')).toBe(html);
    expect(readdirSync(dir)).toEqual(['r.html']);
    expect(() => writeFileAtomic(join(dir as string, 'missing', 'r.html'), html)).toThrow();
    expect(readdirSync(dir)).toEqual(['r.html']);
  });
});
