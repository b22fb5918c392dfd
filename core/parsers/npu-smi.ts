/**
 * Parser for `npu-smi info` (Huawei Ascend). The table has a banner
 * (`| npu-smi <ver>  Version: <ver> |`), a two-line header, then one block per NPU between
 * border lines: an NPU row (`NPU Name | Health | Power Temp …`) followed by one or more
 * chip rows (`Chip [Device|Phy-ID] | Bus-Id | AICore Memory-Usage [HBM-Usage]`).
 * Column widths differ between npu-smi versions, so cells are split on `|` and then on
 * whitespace, and values are matched to the header's words. 310 cards show 4 chips per
 * NPU id, each in its own block with a `Device` column. A process table after the chip
 * table and text after the table are ignored (the latter with a warning).
 */
import { ParseError } from '../errors.js';
import type { DeviceHealth } from '../model.js';
import { type Line, quoteLine, requireNonEmpty, splitLines } from './text.js';

export const NPU_SMI_SOURCE = 'npu-smi info';

export interface AscendChip {
  /** Device id as the Ascend device plugin names it: `Ascend910-<phy>`, `Ascend310-<phy>`. */
  readonly id: string;
  /** Physical id: the `Device`/`Phy-ID` column, else the NPU id when every NPU has one chip. */
  readonly index: number;
  readonly npuId: number;
  readonly chipId: number;
  /** Chip name as printed (`910A`, `310`, `910B3`). */
  readonly name: string;
  /** `Ascend` + name (`Ascend910A`). */
  readonly model: string;
  /** HBM total when the HBM-Usage column has one, else the Memory-Usage total (MB as printed, i.e. MiB). */
  readonly memoryMiB: number;
  readonly busId: string | null;
  readonly health: DeviceHealth;
  /** Health word as printed (`OK`, `Warning`, `Alarm`, `Critical`, `Abnormal`, …). */
  readonly healthText: string;
}

export interface NpuSmiInfo {
  readonly npuSmiVersion: string;
  readonly version: string;
  readonly chips: readonly AscendChip[];
  readonly warnings: readonly string[];
}

const HEALTHY = new Set(['ok', 'warning']);
const UNHEALTHY = new Set(['alarm', 'critical', 'abnormal']);

function isBorder(t: string): boolean {
  return /^\+[-=+]+$/.test(t);
}

/** Cells of a `| a | b | c |` row, trimmed. */
function rowCells(text: string): string[] {
  const t = text.trim();
  const inner = t.endsWith('|') && t.length > 1 ? t.slice(1, -1) : t.slice(1);
  return inner.split('|').map((c) => c.trim());
}

/** Words of a cell with `used / total` pairs joined (`1867 / 15077` → `1867/15077`). */
function words(cell: string): string[] {
  const joined = cell.replace(/\s*\/\s*/g, '/').trim();
  return joined === '' ? [] : joined.split(/\s+/);
}

export function parseNpuSmiInfo(text: string): NpuSmiInfo {
  const src = NPU_SMI_SOURCE;
  requireNonEmpty(src, text);
  const lines = splitLines(text);
  const warnings: string[] = [];

  const bannerAt = lines.findIndex((l) => /^\|\s*npu-smi\s+\S+/.test(l.text.trim()));
  if (bannerAt === -1) {
    const first = lines.find((l) => l.text.trim() !== '') as Line;
    throw new ParseError(src, first.no, `expected the banner '| npu-smi <version>  Version: <version> |', got ${quoteLine(first.text.trim())}`);
  }
  const banner = lines[bannerAt] as Line;
  const bm = /npu-smi\s+(\S+)\s+Version:\s*(\S+)/.exec(banner.text);
  if (!bm || bm[1] === undefined || bm[2] === undefined) {
    throw new ParseError(src, banner.no, `expected 'npu-smi <version>  Version: <version>' in the banner, got ${quoteLine(banner.text.trim())}`);
  }
  for (const l of lines.slice(0, bannerAt)) {
    if (l.text.trim() !== '' && !isBorder(l.text.trim())) warnings.push(`line ${l.no}: ignored ${quoteLine(l.text.trim())} before the table`);
  }

  // Header: the two rows before the first `+===` border.
  let i = bannerAt + 1;
  const headerRows: Line[] = [];
  for (; i < lines.length; i++) {
    const l = lines[i] as Line;
    const t = l.text.trim();
    if (t.startsWith('+=')) break;
    if (t.startsWith('|')) headerRows.push(l);
    else if (t !== '' && !isBorder(t)) throw new ParseError(src, l.no, `expected the table header, got ${quoteLine(t)}`);
  }
  const [npuHeader, chipHeader] = headerRows;
  if (i >= lines.length || npuHeader === undefined || chipHeader === undefined || headerRows.length !== 2) {
    throw new ParseError(src, (headerRows[0] ?? banner).no, "expected two header rows ('NPU Name | Health | …' and 'Chip | Bus-Id | …') followed by a '+===' border (truncated file?)");
  }
  const npuHead = rowCells(npuHeader.text);
  const chipHead = rowCells(chipHeader.text);
  if (!/^NPU\b/.test(npuHead[0] ?? '') || !/Health/i.test(npuHead[1] ?? '')) {
    throw new ParseError(src, npuHeader.no, `expected header 'NPU Name | Health | …', got ${quoteLine(npuHeader.text.trim())}`);
  }
  if (!/^Chip\b/.test(chipHead[0] ?? '') || chipHead.length !== npuHead.length || chipHead.length < 3) {
    throw new ParseError(src, chipHeader.no, `expected header 'Chip | Bus-Id | AICore(%) Memory-Usage(MB) …' with ${npuHead.length} cells, got ${quoteLine(chipHeader.text.trim())}`);
  }
  const chipIdWords = words(chipHead[0] ?? '');
  const usageWords = words(chipHead[2] ?? '');
  const memCol = usageWords.findIndex((w) => /^Memory-Usage/i.test(w));
  const hbmCol = usageWords.findIndex((w) => /^HBM-Usage/i.test(w));
  if (memCol === -1 && hbmCol === -1) {
    throw new ParseError(src, chipHeader.no, `expected a Memory-Usage(MB) or HBM-Usage(MB) column in ${quoteLine(chipHeader.text.trim())}`);
  }

  // Blocks between borders.
  const rawChips: Omit<AscendChip, 'id' | 'index'>[] = [];
  const phys: (number | null)[] = [];
  const chipLines: number[] = [];
  let block: Line[] = [];
  let ended = false;
  for (i = i + 1; i < lines.length && !ended; i++) {
    const l = lines[i] as Line;
    const t = l.text.trim();
    if (isBorder(t)) {
      if (block.length > 0) {
        ended = !readBlock(block);
      }
      block = [];
      continue;
    }
    if (t.startsWith('|')) {
      block.push(l);
      continue;
    }
    if (block.length > 0 && t === '') {
      const last = block[block.length - 1] as Line;
      throw new ParseError(src, last.no, "the NPU block ends without a closing '+===' border (truncated file?)");
    }
    if (block.length > 0) {
      throw new ParseError(src, l.no, `expected a row or a '+===' border to close the NPU block, got ${quoteLine(t)} (truncated table?)`);
    }
    ended = true;
    i--; // re-read as trailing text
  }
  if (block.length > 0) {
    const last = block[block.length - 1] as Line;
    throw new ParseError(src, last.no, "the table ends without a closing '+===' border (truncated file?)");
  }
  for (; i < lines.length; i++) {
    const l = lines[i] as Line;
    const t = l.text.trim();
    if (t === '' || isBorder(t) || t.startsWith('|')) continue; // process table or blank
    warnings.push(`line ${l.no}: ignored ${quoteLine(t)} after the table`);
  }
  if (rawChips.length === 0) {
    throw new ParseError(src, chipHeader.no, 'no NPU rows after the header; expected at least one NPU block');
  }

  const chips = assignIds(src, rawChips, phys, chipLines, warnings);
  return { npuSmiVersion: bm[1], version: bm[2], chips, warnings };

  /** Parse one block; false when it is not an NPU block (the process table starts). */
  function readBlock(rows: Line[]): boolean {
    const first = rows[0] as Line;
    const head = rowCells(first.text);
    if (/^NPU\b/.test(head[0] ?? '') || /Process/i.test(first.text)) return false;
    const npuWords = words(head[0] ?? '');
    if (head.length !== npuHead.length || npuWords.length < 2 || !/^\d+$/.test(npuWords[0] ?? '')) {
      throw new ParseError(src, first.no, `expected an NPU row '<npu id> <name> | <health> | …' with ${npuHead.length} cells, got ${quoteLine(first.text.trim())}`);
    }
    if (rows.length < 2) {
      throw new ParseError(src, first.no, `NPU ${npuWords[0]} has no chip row; expected 'Chip | Bus-Id | …' after it`);
    }
    const npuId = Number(npuWords[0]);
    const name = npuWords.slice(1).join(' ');
    const healthText = head[1] ?? '';
    const health = toHealth(healthText, first.no);
    for (const row of rows.slice(1)) {
      const cells = rowCells(row.text);
      if (cells.length !== chipHead.length) {
        throw new ParseError(src, row.no, `expected a chip row with ${chipHead.length} cells, got ${cells.length}: ${quoteLine(row.text.trim())}`);
      }
      const idWords = words(cells[0] ?? '');
      if (idWords.length !== chipIdWords.length || !idWords.every((w) => /^\d+$/.test(w))) {
        throw new ParseError(src, row.no, `expected '${chipHead[0]}' as ${chipIdWords.length} number(s), got '${cells[0]}'`);
      }
      const usage = words(cells[2] ?? '');
      if (usage.length !== usageWords.length) {
        throw new ParseError(src, row.no, `expected ${usageWords.length} values (${usageWords.join(' ')}), got '${cells[2]}'`);
      }
      const total = (k: number): number | null => {
        if (k === -1) return null;
        const m = /^(\d+)\/(\d+)$/.exec(usage[k] ?? '');
        if (!m) throw new ParseError(src, row.no, `${usageWords[k]}: expected '<used> / <total>', got '${usage[k]}'`);
        return Number(m[2]);
      };
      const hbm = total(hbmCol);
      const mem = total(memCol);
      const memoryMiB = hbm !== null && hbm > 0 ? hbm : (mem ?? 0);
      const busId = cells[1] === undefined || /^(NA|N\/A|-)?$/.test(cells[1]) ? null : cells[1];
      rawChips.push({
        npuId,
        chipId: Number(idWords[0]),
        name,
        model: name.startsWith('Ascend') ? name.replace(/\s+/g, '') : `Ascend${name}`,
        memoryMiB,
        busId,
        health,
        healthText,
      });
      phys.push(idWords[1] === undefined ? null : Number(idWords[1]));
      chipLines.push(row.no);
    }
    return true;
  }

  function toHealth(word: string, lineNo: number): DeviceHealth {
    const w = word.trim().toLowerCase();
    if (HEALTHY.has(w)) return 'healthy';
    if (UNHEALTHY.has(w)) return 'unhealthy';
    if (w === '') throw new ParseError(src, lineNo, 'empty Health cell; expected OK, Warning, Alarm, Critical or Abnormal');
    warnings.push(`line ${lineNo}: unknown health '${word}', counted as unhealthy`);
    return 'unhealthy';
  }
}

/** Device-plugin family of a chip name: `910A`/`910B3` → Ascend910, `310P3` → Ascend310P, `310` → Ascend310. */
export function ascendFamily(name: string): string {
  const n = name.replace(/^Ascend\s*/, '');
  if (n.startsWith('910')) return 'Ascend910';
  if (n.startsWith('310P')) return 'Ascend310P';
  if (n.startsWith('310')) return 'Ascend310';
  return `Ascend${n.replace(/\s+/g, '')}`;
}

function assignIds(
  src: string,
  raw: Omit<AscendChip, 'id' | 'index'>[],
  phys: (number | null)[],
  chipLines: number[],
  warnings: string[],
): AscendChip[] {
  const perNpu = new Map<number, number>();
  for (const c of raw) perNpu.set(c.npuId, (perNpu.get(c.npuId) ?? 0) + 1);
  const oneChipEach = [...perNpu.values()].every((n) => n === 1);
  if (phys.some((p) => p === null) && !oneChipEach) {
    warnings.push('several chips per NPU and no Device/Phy-ID column; chips are numbered in table order');
  }
  const pairs = new Map<string, number>();
  raw.forEach((c, k) => {
    const key = `${c.npuId}/${c.chipId}`;
    const prev = pairs.get(key);
    if (prev !== undefined) {
      throw new ParseError(src, chipLines[k] ?? null, `duplicate NPU ${c.npuId} chip ${c.chipId} (also on line ${prev}); expected one row per chip`);
    }
    pairs.set(key, chipLines[k] ?? 0);
  });
  const seen = new Map<string, number>();
  return raw.map((c, k) => {
    const index = phys[k] ?? (oneChipEach ? c.npuId : k);
    const id = `${ascendFamily(c.name)}-${index}`;
    const line = chipLines[k] ?? null;
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new ParseError(src, line, `duplicate device ${id} (also on line ${prev}); expected one row per chip`);
    }
    seen.set(id, line ?? 0);
    return { id, index, ...c };
  });
}
