/**
 * Prometheus metrics of the node agent: dcgm-exporter names for NVIDIA GPUs, npu-exporter
 * names for Ascend chips (so existing dashboards work), and share metrics no other
 * exporter has: per pod / container / tenant / pool, the memory and compute of every
 * device share the agent handed out. Values are read from the agent at scrape time.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Decision } from '../../core/index.js';
import type { Discovery } from './backends/types.js';
import { relabelExposition, scrapeExporter } from './dcgm-relay.js';
import type { DeviceHealthRecord } from './health.js';

export interface ShareSample {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** Tenant = the pod's namespace owner; the agent reports the namespace when no tenant is known. */
  readonly tenant: string;
  readonly pool: string;
  readonly queue: string;
  readonly deviceId: string;
  readonly isolation: Decision['isolation'];
  readonly memoryMiB: number;
  readonly computeMilli: number;
}

export interface MetricsSource {
  readonly hostname: string;
  discovery(): Discovery | null;
  health(id: string): DeviceHealthRecord | undefined;
  shares(): readonly ShareSample[];
  registered(): boolean;
  allocations(): { readonly decision: number; readonly fallback: number; readonly rejected: number };
  /** When set, GPU telemetry comes from this dcgm-exporter (relabelled) instead of our own DCGM gauges. */
  readonly dcgmExporterUrl?: string;
}

const MiB = 1024 * 1024;

export class AgentMetrics {
  readonly registry = new Registry();
  readonly pollErrors: Counter;
  readonly relayErrors: Counter;
  readonly inventoryPatches: Counter;
  readonly healthTransitions: Counter;

  constructor(private readonly src: MetricsSource) {
    const reg = [this.registry];
    const nv = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname'] as const;
    const npu = ['id', 'model_name', 'pcie_bus_info', 'vdie_id'] as const;
    type Tele = 'utilPct' | 'memUsedMiB' | 'memFreeMiB' | 'tempC' | 'powerW' | 'memTotalMiB';
    type Discovered = NonNullable<ReturnType<typeof src.discovery>>;
    type DevOf = Discovered['devices'][number];
    type TeleOf = Discovered['telemetry'][number];
    /** A dcgm-exporter-named gauge, one sample per GPU; `value` undefined = no sample. */
    const nvGauge = (name: string, help: string, value: (dev: DevOf, t: TeleOf | undefined) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: nv,
        registers: reg,
        collect: function (this: Gauge<(typeof nv)[number]>) {
          this.reset();
          const d = src.discovery();
          if (d === null || d.vendor !== 'nvidia' || src.dcgmExporterUrl !== undefined) return;
          for (const dev of d.devices) {
            const t = d.telemetry.find((x) => x.id === dev.id);
            const v = value(dev, t);
            if (v === undefined) continue;
            this.set({ gpu: String(dev.index), UUID: dev.id, pci_bus_id: t?.pciBusId ?? '', device: `nvidia${dev.index}`, modelName: dev.model, Hostname: src.hostname }, v);
          }
        },
      });
    };
    const field = (f: Tele) => (_dev: DevOf, t: TeleOf | undefined) => t?.[f];
    nvGauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', field('utilPct'));
    nvGauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', field('memUsedMiB'));
    nvGauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', field('memFreeMiB'));
    nvGauge('DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).', field('tempC'));
    nvGauge('DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', field('powerW'));
    nvGauge('DCGM_FI_DEV_XID_ERRORS', 'Value of the last XID error encountered.', (dev) => src.health(dev.id)?.lastXid ?? 0);
    const npuGauge = (name: string, help: string, value: (d: Discovery, i: number) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: npu,
        registers: reg,
        collect: function (this: Gauge<(typeof npu)[number]>) {
          this.reset();
          const d = src.discovery();
          if (d === null || d.vendor !== 'ascend') return;
          d.devices.forEach((dev, i) => {
            const v = value(d, i);
            if (v === undefined) return;
            const t = d.telemetry.find((x) => x.id === dev.id);
            this.set({ id: String(dev.index), model_name: dev.model, pcie_bus_info: t?.pciBusId ?? '', vdie_id: '' }, v);
          });
        },
      });
    };
    const tele = (d: Discovery, i: number) => d.telemetry.find((x) => x.id === d.devices[i]?.id);
    npuGauge('npu_chip_info_utilization', 'the ai core utilization', (d, i) => tele(d, i)?.utilPct);
    npuGauge('npu_chip_info_hbm_used_memory', 'the npu hbm used memory', (d, i) => tele(d, i)?.memUsedMiB);
    npuGauge('npu_chip_info_hbm_total_memory', 'the npu hbm total memory', (d, i) => tele(d, i)?.memTotalMiB ?? d.devices[i]?.memoryMiB);
    npuGauge('npu_chip_info_temperature', 'the npu temperature', (d, i) => tele(d, i)?.tempC);
    npuGauge('npu_chip_info_power', 'the npu power', (d, i) => tele(d, i)?.powerW);
    npuGauge('npu_chip_info_health_status', 'the npu health status (1 healthy, 0 not)', (d, i) => {
      const id = d.devices[i]?.id;
      return id === undefined ? undefined : src.health(id)?.state === 'healthy' ? 1 : 0;
    });
    new Gauge({
      name: 'machine_npu_nums',
      help: 'Amount of npu installed on the machine.',
      registers: reg,
      collect: function (this: Gauge) {
        const d = src.discovery();
        this.set(d?.vendor === 'ascend' ? d.devices.length : 0);
      },
    });

    const share = ['namespace', 'pod', 'container', 'tenant', 'pool', 'queue', 'device', 'isolation'] as const;
    const shareGauge = (name: string, help: string, value: (s: ShareSample) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: share,
        registers: reg,
        collect: function (this: Gauge<(typeof share)[number]>) {
          this.reset();
          for (const s of src.shares())
            this.set({ namespace: s.namespace, pod: s.pod, container: s.container, tenant: s.tenant, pool: s.pool, queue: s.queue, device: s.deviceId, isolation: s.isolation }, value(s));
        },
      });
    };
    shareGauge('tessera_agent_share_memory_bytes', 'Device memory granted to a container on one device (bytes).', (s) => s.memoryMiB * MiB);
    shareGauge('tessera_agent_share_compute_ratio', 'Compute granted to a container on one device (0-1).', (s) => s.computeMilli / 1000);
    new Gauge({
      name: 'tessera_agent_device_health',
      help: 'Device health state (1 for the current state of each device).',
      labelNames: ['device', 'state'],
      registers: reg,
      collect: function (this: Gauge<'device' | 'state'>) {
        this.reset();
        for (const dev of src.discovery()?.devices ?? []) {
          const st = src.health(dev.id)?.state ?? 'healthy';
          for (const s of ['healthy', 'unhealthy', 'recovering']) this.set({ device: dev.id, state: s }, s === st ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tessera_agent_devices',
      help: 'Devices discovered on the node.',
      registers: reg,
      collect: function (this: Gauge) {
        this.set(src.discovery()?.devices.length ?? 0);
      },
    });
    new Gauge({
      name: 'tessera_agent_registered',
      help: '1 when every device-plugin endpoint is registered with the kubelet.',
      registers: reg,
      collect: function (this: Gauge) {
        this.set(src.registered() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tessera_agent_allocations',
      help: 'Allocate answers since start, by outcome (decision, fallback, rejected).',
      labelNames: ['outcome'],
      registers: reg,
      collect: function (this: Gauge<'outcome'>) {
        const a = src.allocations();
        this.set({ outcome: 'decision' }, a.decision);
        this.set({ outcome: 'fallback' }, a.fallback);
        this.set({ outcome: 'rejected' }, a.rejected);
      },
    });
    this.relayErrors = new Counter({ name: 'tessera_agent_dcgm_relay_errors_total', help: 'Failed scrapes of the configured dcgm-exporter.', registers: reg });
    this.pollErrors = new Counter({ name: 'tessera_agent_poll_errors_total', help: 'Discovery polls that failed.', registers: reg });
    this.inventoryPatches = new Counter({ name: 'tessera_agent_inventory_patches_total', help: 'Node inventory annotation patches.', registers: reg });
    this.healthTransitions = new Counter({ name: 'tessera_agent_health_transitions_total', help: 'Device health state changes.', labelNames: ['to'], registers: reg });
  }

  /** Our metrics, plus the relabelled dcgm-exporter samples when one is configured. */
  async text(): Promise<string> {
    const url = this.src.dcgmExporterUrl;
    if (url === undefined) return this.registry.metrics();
    let relayed: string;
    try {
      relayed = relabelExposition(await scrapeExporter(url), { hostname: this.src.hostname, healthOf: (uuid) => this.src.health(uuid)?.state }).text;
    } catch (err) {
      this.relayErrors.inc();
      relayed = `# dcgm-exporter relay failed: ${String((err as Error).message).replace(/\n/g, ' ')}\n`;
    }
    return `${await this.registry.metrics()}\n${relayed}`;
  }

}
