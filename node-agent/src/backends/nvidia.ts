/**
 * NVIDIA backend: runs `nvidia-smi -q -x` (inventory and health signals), `nvidia-smi topo
 * -m` (links; cached, re-read every `topoEveryPolls`), the telemetry query, and optionally
 * a kernel-log command for XID events. Parsing is core's; this file only runs tools and
 * turns new XIDs / ECC increases into health events.
 */
import { buildNvidiaDevices, parseNvidiaSmiCsv, parseNvidiaSmiXml, parseNvidiaTopo, type NvidiaGpuList, type NvidiaTopo } from '../../../core/index.js';
import { ToolError, type ToolRunner } from './exec.js';
import { busKey, parseTelemetryCsv, parseXidLines, TELEMETRY_FIELDS } from './telemetry.js';
import type { DeviceTelemetry, Discovery, DiscoveryBackend, HealthEvent } from './types.js';

export interface NvidiaTexts {
  /** `nvidia-smi -q -x` output, or … */
  readonly xml?: string;
  /** … a `--query-gpu` CSV with header (used when there is no XML). */
  readonly csv?: string;
  readonly topo?: string;
  /** TELEMETRY_FIELDS CSV, noheader, nounits. */
  readonly telemetry?: string;
  /** Kernel log text carrying `NVRM: Xid` lines. */
  readonly xidLog?: string;
}

/** Turns successive tool outputs into a Discovery, remembering what was already seen. */
export class NvidiaDiscoveryState {
  private readonly seenXid = new Set<string>();
  private xidBaselined = false;
  private readonly ecc = new Map<string, number>();

  build(texts: NvidiaTexts, extraWarnings: readonly string[] = []): Discovery {
    let gpus: NvidiaGpuList;
    if (texts.xml !== undefined) gpus = parseNvidiaSmiXml(texts.xml);
    else if (texts.csv !== undefined) gpus = parseNvidiaSmiCsv(texts.csv);
    else throw new ToolError('nvidia: expected nvidia-smi -q -x or --query-gpu output', false);
    const warnings = [...extraWarnings];
    let topo: NvidiaTopo | undefined;
    if (texts.topo !== undefined) {
      try {
        topo = parseNvidiaTopo(texts.topo);
      } catch (err) {
        warnings.push(`topo -m ignored: ${(err as Error).message}`);
      }
    }
    let node;
    try {
      node = buildNvidiaDevices(topo === undefined ? { gpus } : { gpus, topo });
    } catch (err) {
      warnings.push(`topology ignored: ${(err as Error).message}`);
      node = buildNvidiaDevices({ gpus });
    }
    warnings.push(...node.warnings);
    const reasons: Record<string, string> = {};
    const byBus = new Map<string, string>();
    for (const g of gpus.gpus) {
      if (g.healthReason !== null) reasons[g.id] = g.healthReason;
      if (g.pciBusId !== null) byBus.set(busKey(g.pciBusId), g.id);
    }
    const telemetry: DeviceTelemetry[] = [];
    const events: HealthEvent[] = [];
    if (texts.telemetry !== undefined) {
      const t = parseTelemetryCsv(texts.telemetry);
      warnings.push(...t.warnings);
      for (const row of t.rows) {
        telemetry.push(row);
        if (row.pciBusId !== undefined && !byBus.has(busKey(row.pciBusId))) byBus.set(busKey(row.pciBusId), row.id);
        if (row.eccUncorrectable !== undefined) {
          const prev = this.ecc.get(row.id);
          if (prev !== undefined && row.eccUncorrectable > prev)
            events.push({ deviceId: row.id, kind: 'ecc', code: row.eccUncorrectable, message: `uncorrectable ECC errors ${prev} → ${row.eccUncorrectable}` });
          this.ecc.set(row.id, row.eccUncorrectable);
        }
      }
    }
    if (texts.xidLog !== undefined) {
      const lines = parseXidLines(texts.xidLog);
      for (const x of lines) {
        if (this.seenXid.has(x.line)) continue;
        this.seenXid.add(x.line);
        if (!this.xidBaselined) continue; // lines already in the log at start are history
        const id = byBus.get(busKey(x.pciBusId));
        if (id === undefined) {
          warnings.push(`XID ${x.xid} for unknown PCI device ${x.pciBusId}`);
          continue;
        }
        events.push({ deviceId: id, kind: 'xid', code: x.xid, message: `XID ${x.xid}` });
      }
      this.xidBaselined = true;
      if (this.seenXid.size > 5000) this.seenXid.clear();
    }
    return { vendor: 'nvidia', devices: node.devices, topology: node.topology, reasons, telemetry, events, warnings };
  }
}

export interface NvidiaBackendOptions {
  readonly run: ToolRunner;
  /** Path of nvidia-smi (default `nvidia-smi` from PATH). */
  readonly smiPath?: string;
  /** Command (argv) printing the kernel log, e.g. `['journalctl','-k','-o','cat','--since=-10min']`. */
  readonly xidCommand?: readonly string[];
  /** Re-read `topo -m` every this many polls (links do not change while running). */
  readonly topoEveryPolls?: number;
  /** Skip the telemetry query (a dcgm-exporter provides the numbers). ECC checks then rely on -q -x. */
  readonly skipTelemetry?: boolean;
}

export class NvidiaBackend implements DiscoveryBackend {
  readonly name = 'nvidia';
  readonly vendor = 'nvidia' as const;
  private readonly state = new NvidiaDiscoveryState();
  private topo: string | undefined;
  private polls = 0;

  constructor(private readonly opts: NvidiaBackendOptions) {}

  async discover(): Promise<Discovery> {
    const smi = this.opts.smiPath ?? 'nvidia-smi';
    const warnings: string[] = [];
    const xml = await this.opts.run(smi, ['-q', '-x']);
    if (this.topo === undefined || this.polls % (this.opts.topoEveryPolls ?? 60) === 0) {
      try {
        this.topo = await this.opts.run(smi, ['topo', '-m']);
      } catch (err) {
        warnings.push(`topo -m failed: ${(err as Error).message}`);
      }
    }
    this.polls++;
    let telemetry: string | undefined;
    if (this.opts.skipTelemetry !== true) {
      try {
        telemetry = await this.opts.run(smi, [`--query-gpu=${TELEMETRY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']);
      } catch (err) {
        warnings.push(`telemetry query failed: ${(err as Error).message}`);
      }
    }
    let xidLog: string | undefined;
    const xc = this.opts.xidCommand;
    if (xc !== undefined && xc.length > 0 && xc[0] !== undefined) {
      try {
        xidLog = await this.opts.run(xc[0], xc.slice(1));
      } catch (err) {
        warnings.push(`XID source failed: ${(err as Error).message}`);
      }
    }
    return this.state.build(
      { xml, ...(this.topo !== undefined ? { topo: this.topo } : {}), ...(telemetry !== undefined ? { telemetry } : {}), ...(xidLog !== undefined ? { xidLog } : {}) },
      warnings,
    );
  }
}
