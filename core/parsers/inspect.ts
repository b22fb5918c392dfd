/**
 * One entry point per tool-output kind, for `tessera inspect` and tests: parse the text and
 * return a uniform report (devices + link matrix or HCCS groups + warnings).
 */
import { CoreError } from '../errors.js';
import type { DeviceHealth, Topology } from '../model.js';
import { buildAscendDevices, buildNvidiaDevices } from './build-devices.js';
import { parseNvidiaSmiCsv } from './nvidia-csv.js';
import type { NvidiaGpuList } from './nvidia-gpu.js';
import { parseNvidiaTopo } from './nvidia-topo.js';
import { parseNvidiaSmiXml } from './nvidia-xml.js';
import { parseNpuSmiInfo } from './npu-smi.js';
import { parseNpuSmiTopo } from './npu-smi-topo.js';

export const INSPECT_KINDS = ['nvidia-smi-topo', 'nvidia-smi-xml', 'nvidia-smi-csv', 'npu-smi', 'npu-smi-topo'] as const;
export type InspectKind = (typeof INSPECT_KINDS)[number];

export function isInspectKind(s: string): s is InspectKind {
  return (INSPECT_KINDS as readonly string[]).includes(s);
}

export interface InspectDevice {
  /** UUID / Ascend id; `GPU<n>` / `NPU<n>` for topology-only kinds. */
  readonly id: string;
  readonly index: number;
  readonly model: string | null;
  readonly memoryMiB: number | null;
  readonly health: DeviceHealth | null;
  readonly healthReason?: string | null;
  readonly numa: number | null;
  readonly cpuAffinity?: string | null;
  readonly migDevices?: number;
}

export interface InspectReport {
  readonly kind: InspectKind;
  readonly devices: readonly InspectDevice[];
  /** Link matrix (`nvidia-smi-topo`, `npu-smi-topo`), HCCS groups, or none. */
  readonly topology: Topology | { readonly kind: 'hccs-matrix'; readonly links: readonly (readonly string[])[]; readonly groups: readonly (readonly number[])[]; readonly fullMesh: boolean };
  readonly warnings: readonly string[];
}

export interface InspectOptions {
  /** `nvidia-smi-csv` made with `noheader`: the `--query-gpu` field list. */
  readonly csvFields?: readonly string[];
}

function gpuReport(kind: InspectKind, list: NvidiaGpuList): InspectReport {
  return {
    kind,
    devices: list.gpus.map((g) => ({
      id: g.id,
      index: g.index,
      model: g.model,
      memoryMiB: g.memoryMiB,
      health: g.health,
      healthReason: g.healthReason,
      numa: null,
      migDevices: g.migDevices.length,
    })),
    topology: { kind: 'none' },
    warnings: list.warnings,
  };
}

/** Parse `text` as `kind`; throws ParseError (a CoreError) on malformed input. */
export function inspectToolOutput(kind: InspectKind, text: string, options: InspectOptions = {}): InspectReport {
  switch (kind) {
    case 'nvidia-smi-topo': {
      const t = parseNvidiaTopo(text);
      return {
        kind,
        devices: t.gpus.map((g) => ({
          id: `GPU${g.index}`,
          index: g.index,
          model: null,
          memoryMiB: null,
          health: null,
          numa: g.numaAffinity,
          cpuAffinity: g.cpuAffinity,
        })),
        topology: { kind: 'nvlink', links: t.links },
        warnings: t.warnings,
      };
    }
    case 'nvidia-smi-xml':
      return gpuReport(kind, parseNvidiaSmiXml(text));
    case 'nvidia-smi-csv':
      return gpuReport(kind, parseNvidiaSmiCsv(text, options.csvFields ? { fields: options.csvFields } : {}));
    case 'npu-smi': {
      const info = parseNpuSmiInfo(text);
      const built = buildAscendDevices({ info });
      return {
        kind,
        devices: built.devices.map((d) => ({ id: d.id, index: d.index, model: d.model, memoryMiB: d.memoryMiB, health: d.health, numa: d.numa })),
        topology: built.topology,
        warnings: built.warnings,
      };
    }
    case 'npu-smi-topo': {
      const t = parseNpuSmiTopo(text);
      return {
        kind,
        devices: t.npus.map((n) => ({ id: `NPU${n.index}`, index: n.index, model: null, memoryMiB: null, health: null, numa: null, cpuAffinity: n.cpuAffinity })),
        topology: { kind: 'hccs-matrix', links: t.links, groups: t.groups, fullMesh: t.fullMesh },
        warnings: t.warnings,
      };
    }
    default: {
      const never: never = kind;
      throw new CoreError('CORE_ERR_PARSE', `unknown kind ${String(never)}`);
    }
  }
}

/** A short human-readable table of a report. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  const rows = r.devices.map((d) => [
    String(d.index),
    d.id,
    d.model ?? '-',
    d.memoryMiB === null ? '-' : `${d.memoryMiB} MiB`,
    d.health === null ? '-' : d.health + (d.healthReason ? ` (${d.healthReason})` : ''),
    d.numa === null ? '-' : String(d.numa),
    d.cpuAffinity ?? '-',
  ]);
  const withMig = r.devices.some((d) => (d.migDevices ?? 0) > 0);
  const head = ['IDX', 'ID', 'MODEL', 'MEMORY', 'HEALTH', 'NUMA', 'CPUS'];
  if (withMig) r.devices.forEach((d, k) => rows[k]?.push(String(d.migDevices ?? 0)));
  out.push(...table(withMig ? [...head, 'MIG'] : head, rows));
  const topo = r.topology;
  if (topo.kind === 'nvlink' || topo.kind === 'hccs-matrix') {
    out.push('');
    const names = r.devices.map((d) => (topo.kind === 'nvlink' ? `GPU${d.index}` : `NPU${d.index}`));
    out.push(...table(['', ...names], topo.links.map((row, i) => [names[i] ?? String(i), ...row])));
  }
  if (topo.kind === 'hccs' || topo.kind === 'hccs-matrix') {
    out.push('', `HCCS groups: ${topo.groups.map((g) => `[${g.join(',')}]`).join(' ')}${topo.fullMesh ? ' (full mesh)' : ''}`);
  }
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
