/**
 * Which fixture is parsed as which tool output, shared by the golden test and
 * `regenerate.ts`. Every file under fixtures/ must either match a rule here or be
 * listed as not a parser input; the test enforces that.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type InspectKind,
  parseNpuSmiInfo,
  parseNpuSmiTopo,
  parseNvidiaSmiCsv,
  parseNvidiaSmiXml,
  parseNvidiaTopo,
} from '../../core/index.js';
import { SHARED_FIXTURES } from '../../bench/shared-dir.js';

export const FIXTURES_DIR = join(import.meta.dirname, 'fixtures');
export const GOLDEN_DIR = join(import.meta.dirname, 'parsers');
export const SHARED_FIXTURES_DIR = SHARED_FIXTURES;

export const PARSERS: Record<InspectKind, (text: string) => unknown> = {
  'nvidia-smi-topo': parseNvidiaTopo,
  'nvidia-smi-xml': parseNvidiaSmiXml,
  'nvidia-smi-csv': (t) => parseNvidiaSmiCsv(t),
  'npu-smi': parseNpuSmiInfo,
  'npu-smi-topo': parseNpuSmiTopo,
};

/** First matching rule wins; `kind: null` = not a parser input. */
const RULES: { readonly pattern: RegExp; readonly kind: InspectKind | null; readonly why?: string }[] = [
  { pattern: /(^|\/)(LICENSE[^/]*|README[^/]*)$/, kind: null, why: 'licence / documentation' },
  { pattern: /^nvidia-smi\/topo\/.*\.json$/, kind: null, why: 'matrix twin of a synthesized topo-m.txt (cross-check)' },
  { pattern: /_mapping\.txt$/, kind: null, why: 'npu-smi info -m chip mapping (cross-check)' },
  { pattern: /\.topo-m\.txt$/, kind: 'nvidia-smi-topo' },
  { pattern: /\.xml$/, kind: 'nvidia-smi-xml' },
  { pattern: /^nvidia-smi\/(query-gpu\/.*\.txt|captures\/extracted\/.*\.csv)$/, kind: 'nvidia-smi-csv' },
  { pattern: /^ascend\/npu-smi\/.*_topo\.txt$/, kind: 'npu-smi-topo' },
  { pattern: /^ascend\/npu-smi\/.*\.txt$/, kind: 'npu-smi' },
];

export interface FixtureCase {
  /** Path relative to fixtures/. */
  readonly fixture: string;
  readonly kind: InspectKind | null;
  readonly why?: string;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

export function fixtureCases(dir = FIXTURES_DIR): FixtureCase[] {
  return walk(dir).map((path) => {
    const fixture = relative(dir, path).split('\\').join('/');
    const rule = RULES.find((r) => r.pattern.test(fixture));
    if (!rule) return { fixture, kind: null, why: 'UNCLASSIFIED' };
    return rule.why === undefined ? { fixture, kind: rule.kind } : { fixture, kind: rule.kind, why: rule.why };
  });
}

/** Golden file path of a fixture: its file name + `.json`. */
export function goldenPath(fixture: string): string {
  return join(GOLDEN_DIR, `${fixture.split('/').pop() as string}.json`);
}

/** What the golden file holds: the parse result, or the error message for inputs that must fail. */
export function goldenOf(kind: InspectKind, fixture: string): unknown {
  const text = readFileSync(join(FIXTURES_DIR, fixture), 'utf8');
  try {
    return { fixture, kind, parsed: PARSERS[kind](text) };
  } catch (err) {
    if (err instanceof Error && err.name === 'ParseError') return { fixture, kind, error: err.message };
    throw err;
  }
}

export function goldenJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
