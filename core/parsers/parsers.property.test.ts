/**
 * Property tests for the tool-output parsers:
 * - a matrix printed in nvidia-smi's / npu-smi's layout parses back to itself;
 * - a prefix of a real output (a truncated file) is a ParseError or gives the same model
 *   (for row-per-device tables without a count: the same devices, minus whole trailing ones);
 * - any single-character corruption is a ParseError or a result, never another exception.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import type { LinkClass } from '../model.js';
import { parseNvidiaSmiCsv } from './nvidia-csv.js';
import { parseNvidiaTopo } from './nvidia-topo.js';
import { parseNvidiaSmiXml } from './nvidia-xml.js';
import { parseNpuSmiInfo } from './npu-smi.js';
import { parseNpuSmiTopo } from './npu-smi-topo.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'golden', 'fixtures');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Outcome of a parse: the value, or the ParseError; anything else is rethrown (a crash). */
function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: ParseError } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err };
    throw err;
  }
}

const OFF_DIAGONAL: fc.Arbitrary<LinkClass> = fc.oneof(
  fc.constantFrom<LinkClass>('PIX', 'PXB', 'PHB', 'NODE', 'SYS'),
  fc.integer({ min: 1, max: 18 }).map((n) => `NV${n}` as LinkClass),
);

describe('nvidia-smi topo -m round trip', () => {
  it('parses any symmetric matrix printed in the nvidia-smi layout (with NIC columns and NUMA columns or not)', () => {
    const arb = fc
      .integer({ min: 1, max: 10 })
      .chain((n) =>
        fc.record({
          n: fc.constant(n),
          upper: fc.array(OFF_DIAGONAL, { minLength: (n * (n - 1)) / 2, maxLength: (n * (n - 1)) / 2 }),
          numa: fc.array(fc.option(fc.integer({ min: 0, max: 7 }), { nil: null }), { minLength: n, maxLength: n }),
          nics: fc.integer({ min: 0, max: 2 }),
          modern: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(arb, ({ n, upper, numa, nics, modern }) => {
        const links: LinkClass[][] = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? 'X' : 'SYS')));
        let k = 0;
        for (let r = 0; r < n; r++)
          for (let c = r + 1; c < n; c++) {
            const l = upper[k++] as LinkClass;
            (links[r] as LinkClass[])[c] = l;
            (links[c] as LinkClass[])[r] = l;
          }
        const nicNames = Array.from({ length: nics }, (_, i) => `NIC${i}`);
        const head = ['', ...links.map((_, i) => `GPU${i}`), ...nicNames, 'CPU Affinity', ...(modern ? ['NUMA Affinity', 'GPU NUMA ID'] : [])];
        const rows = links.map((row, i) => [
          `GPU${i}`,
          ...row.map((l) => (l === 'X' ? ' X ' : l)),
          ...nicNames.map(() => 'SYS'),
          `${i * 4}-${i * 4 + 3}`,
          ...(modern ? [numa[i] === null ? 'N/A' : String(numa[i]), '', 'N/A'] : []),
        ]);
        const nicRows = nicNames.map((nic, j) => [nic, ...links.map(() => 'SYS'), ...nicNames.map((_, m) => (m === j ? ' X ' : 'PIX'))]);
        const text = `\u001b[4m${[head, ...rows, ...nicRows].map((r) => r.join('\t')).join('\n')}\u001b[0m\n\nLegend:\n\n  X    = Self\n`;
        const t = parseNvidiaTopo(text);
        expect(t.links).toEqual(links);
        expect(t.ignoredColumns).toEqual(nicNames);
        expect(t.gpus.map((g) => g.numaAffinity)).toEqual(modern ? numa : numa.map(() => null));
        expect(t.gpus.map((g) => g.cpuAffinity)).toEqual(links.map((_, i) => `${i * 4}-${i * 4 + 3}`));
        expect(t.warnings).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('npu-smi info -t topo groups', () => {
  it('HCCS inside the blocks of any partition, SYS across: the groups are the partition', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(arb, (sizes) => {
        const owner = sizes.flatMap((s, b) => Array.from({ length: s }, () => b));
        const n = owner.length;
        const names = owner.map((_, i) => `NPU${i}`);
        const lines = [
          `\t${names.join('   ')}   CPU Affinity`,
          ...owner.map((b, r) => `${names[r]}   ${owner.map((b2, c) => (r === c ? 'X' : b === b2 ? 'HCCS' : 'SYS')).join('   ')}   0-23`),
        ];
        const t = parseNpuSmiTopo(`${lines.join('\n')}\n`);
        let start = 0;
        const want = sizes.map((s) => Array.from({ length: s }, () => start++));
        expect(t.groups).toEqual(want);
        expect(t.fullMesh).toBe(n > 1 && sizes.length === 1);
        expect(t.warnings).toEqual([]);
      }),
    );
  });
});

type Kind = 'topo' | 'xml' | 'csv' | 'npu' | 'npu-topo';
const all = files(FIXTURES);
interface Sample {
  readonly name: string;
  readonly kind: Kind;
  readonly text: string;
}
const samples: Sample[] = all.flatMap((p): Sample[] => {
  const name = relative(FIXTURES, p);
  const text = readFileSync(p, 'utf8');
  if (name.endsWith('.topo-m.txt')) return [{ name, kind: 'topo', text }];
  if (name.endsWith('.xml')) return [{ name, kind: 'xml', text }];
  if (/query-gpu/.test(name)) return [{ name, kind: 'csv', text }];
  if (name.endsWith('_topo.txt')) return [{ name, kind: 'npu-topo', text }];
  if (name.startsWith('ascend/npu-smi/') && name.endsWith('.txt') && !name.includes('mapping')) return [{ name, kind: 'npu', text }];
  return [];
});

/** The model part of a parse (warnings excluded: a cut legend may add one). */
function model(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'topo': {
      const t = parseNvidiaTopo(text);
      return { links: t.links, gpus: t.gpus };
    }
    case 'xml':
      return parseNvidiaSmiXml(text).gpus;
    case 'csv':
      return parseNvidiaSmiCsv(text).gpus;
    case 'npu':
      return parseNpuSmiInfo(text).chips;
    case 'npu-topo': {
      const t = parseNpuSmiTopo(text);
      return { links: t.links, groups: t.groups, npus: t.npus };
    }
  }
}

describe('truncated and corrupted real outputs', () => {
  it('has samples of every kind', () => {
    expect(new Set(samples.map((s) => s.kind))).toEqual(new Set(['topo', 'xml', 'csv', 'npu', 'npu-topo']));
  });

  it.each(samples.map((s) => [s.name, s] as const))('%s: a prefix is a ParseError or the same model', (_name, s) => {
    const full = model(s.kind, s.text);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: s.text.length - 1 }), (cut) => {
        const r = attempt(() => model(s.kind, s.text.slice(0, cut)));
        if (!r.ok) {
          expect(r.error.message.length).toBeGreaterThan(10);
          return;
        }
        if (s.kind === 'npu' || s.kind === 'csv') {
          // Row-per-device tables cut exactly at a row boundary lose whole trailing devices only.
          const got = r.value as unknown[];
          expect(got).toEqual((full as unknown[]).slice(0, got.length));
        } else {
          expect(r.value).toEqual(full);
        }
      }),
      { numRuns: 60 },
    );
  });

  it.each(samples.map((s) => [s.name, s] as const))('%s: one corrupted character never crashes the parser', (_name, s) => {
    const junk = fc.constantFrom('\t', '|', ' ', '\n', '<', '>', '&', '/', '"', '+', '=', '0', '9', 'X', '-', ',', 'N', '\u001b');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: s.text.length - 1 }), junk, (at, ch) => {
        attempt(() => model(s.kind, s.text.slice(0, at) + ch + s.text.slice(at + 1)));
      }),
      { numRuns: 60 },
    );
  });
});
