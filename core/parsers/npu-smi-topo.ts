/**
 * Parser for `npu-smi info -t topo`: a whitespace-aligned matrix of NPU pairs
 * (`X`, `HCCS`, `PIX`, `PXB`, `PHB`, `SYS`, `SIO`, `HCCS_SW`, `NA`) with an optional
 * `CPU Affinity` column and a legend after it. Some versions start the header with a
 * tab; everything is split on whitespace. The HCCS groups are the connected components of
 * the HCCS relation (HCCS, HCCS_SW and SIO count as HCCS); `fullMesh` is true when one
 * group holds every NPU and every pair in it is HCCS-connected.
 */
import { ParseError } from '../errors.js';
import { type Line, parseCpuList, quoteLine, requireNonEmpty, requireTerminated, splitLines } from './text.js';

export const NPU_SMI_TOPO_SOURCE = 'npu-smi info -t topo';

export type AscendLinkClass = 'X' | 'HCCS' | 'HCCS_SW' | 'SIO' | 'PIX' | 'PXB' | 'PHB' | 'SYS' | 'NA';
const LINKS = new Set<string>(['X', 'HCCS', 'HCCS_SW', 'SIO', 'PIX', 'PXB', 'PHB', 'SYS', 'NA']);
const HCCS_LIKE = new Set<AscendLinkClass>(['HCCS', 'HCCS_SW', 'SIO']);

export interface NpuSmiTopo {
  readonly npus: readonly { readonly index: number; readonly cpuAffinity: string | null }[];
  readonly links: readonly (readonly AscendLinkClass[])[];
  /** Connected components of the HCCS relation, by matrix position, each sorted; singletons included. */
  readonly groups: readonly (readonly number[])[];
  readonly fullMesh: boolean;
  readonly warnings: readonly string[];
}

export function parseNpuSmiTopo(text: string): NpuSmiTopo {
  const src = NPU_SMI_TOPO_SOURCE;
  requireNonEmpty(src, text);
  const lines = splitLines(text);
  const warnings: string[] = [];
  const headerAt = lines.findIndex((l) => l.text.trim() !== '');
  const header = lines[headerAt] as Line;
  const head = header.text.trim().split(/\s+/);
  let n = 0;
  while (head[n] === `NPU${n}`) n++;
  if (n === 0) throw new ParseError(src, header.no, `expected a header starting with NPU0, got ${quoteLine(header.text.trim())}`);
  const tail = head.slice(n).join(' ');
  if (tail !== '' && tail !== 'CPU Affinity') {
    throw new ParseError(src, header.no, `unexpected header column(s) '${tail}' after NPU${n - 1}; expected 'CPU Affinity' or nothing`);
  }
  const hasAffinity = tail !== '';

  const links: AscendLinkClass[][] = [];
  const npus: { index: number; cpuAffinity: string | null }[] = [];
  let i = headerAt + 1;
  for (; i < lines.length && links.length < n; i++) {
    const l = lines[i] as Line;
    const cells = l.text.trim().split(/\s+/);
    const row = links.length;
    if (cells[0] !== `NPU${row}`) {
      const got = l.text.trim() === '' ? 'a blank line' : quoteLine(l.text.trim());
      throw new ParseError(src, l.no, `header lists ${n} NPUs; expected row NPU${row}, got ${got}`);
    }
    const want = 1 + n + (hasAffinity ? 1 : 0);
    if (cells.length !== want) {
      throw new ParseError(src, l.no, `row NPU${row} has ${cells.length - 1} cells; expected ${want - 1} (${n} links${hasAffinity ? ' + CPU Affinity' : ''})`);
    }
    links.push(
      cells.slice(1, 1 + n).map((c, col) => {
        if (!LINKS.has(c)) {
          throw new ParseError(src, l.no, `NPU${row}/NPU${col}: unknown link class '${c}'; expected X, HCCS, HCCS_SW, SIO, PIX, PXB, PHB, SYS or NA`);
        }
        if ((c === 'X') !== (row === col)) {
          throw new ParseError(src, l.no, row === col ? `NPU${row}/NPU${col}: expected X on the diagonal, got '${c}'` : `NPU${row}/NPU${col}: X is only allowed on the diagonal`);
        }
        return c as AscendLinkClass;
      }),
    );
    npus.push({ index: row, cpuAffinity: hasAffinity ? parseCpuList(src, l.no, cells[n + 1]) : null });
  }
  if (links.length < n) {
    throw new ParseError(src, lines[lines.length - 1]?.no ?? null, `header lists ${n} NPUs but only ${links.length} rows follow (truncated file?)`);
  }
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) {
      if (links[r]?.[c] !== links[c]?.[r]) {
        throw new ParseError(src, header.no + 1 + c, `matrix is not symmetric: NPU${r}/NPU${c} is ${links[r]?.[c]} but NPU${c}/NPU${r} is ${links[c]?.[r]}`);
      }
    }
  }
  requireTerminated(src, text, lines, lines[i - 1] as Line);
  let inLegend = false;
  for (const l of lines.slice(i)) {
    const t = l.text.trim();
    if (t === '') continue;
    if (/^Legend\s*:/i.test(t)) inLegend = true;
    else if (!inLegend) warnings.push(`line ${l.no}: ignored ${quoteLine(t)} after the matrix`);
  }
  const { groups, fullMesh } = hccsGroups(links, warnings);
  return { npus, links, groups, fullMesh, warnings };
}

/** Connected components of the HCCS relation; warns when a component is not a clique. */
export function hccsGroups(
  links: readonly (readonly AscendLinkClass[])[],
  warnings: string[] = [],
): { groups: number[][]; fullMesh: boolean } {
  const n = links.length;
  const hccs = (a: number, b: number): boolean => HCCS_LIKE.has(links[a]?.[b] as AscendLinkClass);
  const seen = new Array<boolean>(n).fill(false);
  const groups: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    const group: number[] = [];
    const stack = [s];
    seen[s] = true;
    while (stack.length > 0) {
      const a = stack.pop() as number;
      group.push(a);
      for (let b = 0; b < n; b++) {
        if (!seen[b] && hccs(a, b)) {
          seen[b] = true;
          stack.push(b);
        }
      }
    }
    groups.push(group.sort((x, y) => x - y));
  }
  let cliques = true;
  for (const g of groups) {
    const missing = g.flatMap((a) => g.filter((b) => b > a && !hccs(a, b)).map((b) => `NPU${a}/NPU${b}`));
    if (missing.length > 0) {
      cliques = false;
      warnings.push(`HCCS group [${g.join(',')}] is not fully connected (no HCCS between ${missing.join(', ')})`);
    }
  }
  return { groups, fullMesh: n > 1 && groups.length === 1 && cliques };
}
