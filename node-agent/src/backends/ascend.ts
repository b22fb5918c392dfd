/**
 * Ascend backend: runs `npu-smi info` (chips, health, usage) and `npu-smi info -t topo`
 * (HCCS links; optional). Parsing is core's; the usage numbers come from telemetry.ts.
 */
import { buildAscendDevices, parseNpuSmiInfo, parseNpuSmiTopo, type NpuSmiTopo } from '../../../core/index.js';
import type { ToolRunner } from './exec.js';
import { parseNpuSmiTelemetry } from './telemetry.js';
import type { DeviceTelemetry, Discovery, DiscoveryBackend } from './types.js';

export interface AscendTexts {
  readonly info: string;
  readonly topo?: string;
}

export function ascendDiscovery(texts: AscendTexts, extraWarnings: readonly string[] = []): Discovery {
  const info = parseNpuSmiInfo(texts.info);
  const warnings = [...extraWarnings];
  let topo: NpuSmiTopo | undefined;
  if (texts.topo !== undefined) {
    try {
      topo = parseNpuSmiTopo(texts.topo);
    } catch (err) {
      warnings.push(`npu-smi topo ignored: ${(err as Error).message}`);
    }
  }
  let node;
  try {
    node = buildAscendDevices(topo === undefined ? { info } : { info, topo });
  } catch (err) {
    warnings.push(`topology ignored: ${(err as Error).message}`);
    node = buildAscendDevices({ info });
  }
  warnings.push(...node.warnings);
  const reasons: Record<string, string> = {};
  for (const c of info.chips) if (c.health === 'unhealthy') reasons[c.id] = `npu-smi health ${c.healthText}`;
  const numbers = parseNpuSmiTelemetry(texts.info);
  const telemetry: DeviceTelemetry[] = [];
  for (const c of info.chips) {
    const t = c.busId === null ? undefined : numbers.get(c.busId.toUpperCase());
    telemetry.push({ ...(t ?? {}), id: c.id, ...(c.busId !== null ? { pciBusId: c.busId } : {}) });
  }
  return { vendor: 'ascend', devices: node.devices, topology: node.topology, reasons, telemetry, events: [], warnings };
}

export interface AscendBackendOptions {
  readonly run: ToolRunner;
  readonly smiPath?: string;
}

export class AscendBackend implements DiscoveryBackend {
  readonly name = 'ascend';
  readonly vendor = 'ascend' as const;
  private topo: string | undefined;
  private topoTried = false;

  constructor(private readonly opts: AscendBackendOptions) {}

  async discover(): Promise<Discovery> {
    const smi = this.opts.smiPath ?? 'npu-smi';
    const info = await this.opts.run(smi, ['info']);
    const warnings: string[] = [];
    if (!this.topoTried) {
      this.topoTried = true;
      try {
        this.topo = await this.opts.run(smi, ['info', '-t', 'topo']);
      } catch (err) {
        warnings.push(`npu-smi info -t topo failed: ${(err as Error).message}`);
      }
    }
    return ascendDiscovery(this.topo === undefined ? { info } : { info, topo: this.topo }, warnings);
  }
}
