/**
 * Telemetry readers the core parsers do not cover: the agent's own
 * `nvidia-smi --query-gpu=<TELEMETRY_FIELDS> --format=csv,noheader,nounits` output, the
 * numbers of the `npu-smi info` table, and NVIDIA XID lines of the kernel log.
 */
import type { DeviceTelemetry } from './types.js';

export const TELEMETRY_FIELDS = [
  'uuid',
  'pci.bus_id',
  'utilization.gpu',
  'memory.used',
  'memory.free',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'ecc.errors.uncorrected.volatile.total',
] as const;

function num(cell: string | undefined): number | undefined {
  if (cell === undefined) return undefined;
  const t = cell.trim().replace(/\s*(MiB|W|%|C)$/i, '');
  if (t === '' || t.startsWith('[')) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function withDefined(o: Record<string, unknown>): DeviceTelemetry {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as unknown as DeviceTelemetry;
}

/** Rows of the telemetry CSV (noheader, nounits); malformed rows are reported, not thrown. */
export function parseTelemetryCsv(text: string): { rows: DeviceTelemetry[]; warnings: string[] } {
  const rows: DeviceTelemetry[] = [];
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== TELEMETRY_FIELDS.length || !cells[0]?.startsWith('GPU-')) {
      warnings.push(`telemetry line ${i + 1}: expected ${TELEMETRY_FIELDS.length} cells starting with a GPU UUID, got '${line.slice(0, 80)}'`);
      return;
    }
    rows.push(
      withDefined({
        id: cells[0],
        pciBusId: cells[1],
        utilPct: num(cells[2]),
        memUsedMiB: num(cells[3]),
        memFreeMiB: num(cells[4]),
        memTotalMiB: num(cells[5]),
        tempC: num(cells[6]),
        powerW: num(cells[7]),
        eccUncorrectable: num(cells[8]),
      }),
    );
  });
  return { rows, warnings };
}

/**
 * Per-chip numbers of the `npu-smi info` table, keyed by bus id: row 1 `| NPU Name | Health
 * | Power Temp Hugepages |`, row 2 `| Chip | Bus-Id | AICore% Memory HBM |`.
 */
export function parseNpuSmiTelemetry(text: string): Map<string, Omit<DeviceTelemetry, 'id'>> {
  const out = new Map<string, Omit<DeviceTelemetry, 'id'>>();
  let first: string[] | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const t = raw.trim();
    if (!t.startsWith('|') || /Name|Chip\s*\|\s*Bus-Id|npu-smi|Process/i.test(t)) {
      if (!t.startsWith('|')) first = null;
      continue;
    }
    const cells = t.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
    if (cells.length < 3) continue;
    const bus = /[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]/.exec(cells[1] ?? '');
    if (bus === null) {
      first = cells;
      continue;
    }
    const lastCell = (cells[2] ?? '').replace(/\s*\/\s*/g, '/').split(/\s+/);
    const firstLast = (first?.[2] ?? '').split(/\s+/);
    const hbm = lastCell[2]?.split('/');
    const mem = lastCell[1]?.split('/');
    const used = num(hbm?.[0]) ?? num(mem?.[0]);
    const total = num(hbm?.[1]) ?? num(mem?.[1]);
    out.set(
      bus[0].toUpperCase(),
      withDefined({
        pciBusId: bus[0],
        utilPct: num(lastCell[0]),
        memUsedMiB: used,
        memTotalMiB: total,
        memFreeMiB: used !== undefined && total !== undefined ? total - used : undefined,
        powerW: num(firstLast[0]),
        tempC: num(firstLast[1]),
      }),
    );
    first = null;
  }
  return out;
}

const XID_LINE = /NVRM: Xid \(PCI:([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-9a-fA-F])?)\): (\d+)/;

export interface XidLine {
  readonly pciBusId: string;
  readonly xid: number;
  readonly line: string;
}

/** XID reports of the kernel log (`NVRM: Xid (PCI:0000:3b:00): 79, pid=…`). */
export function parseXidLines(text: string): XidLine[] {
  const out: XidLine[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = XID_LINE.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.push({ pciBusId: m[1], xid: Number(m[2]), line: line.trim() });
  }
  return out;
}

/** `00000000:3B:00.0` and `0000:3b:00` name the same GPU: compare domain-less bus:device. */
export function busKey(pciBusId: string): string {
  const m = /([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.[0-9a-fA-F])?$/.exec(pciBusId.trim());
  return m === null ? pciBusId.toLowerCase() : `${m[1]}:${m[2]}`.toLowerCase();
}
