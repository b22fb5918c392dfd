/**
 * The node agent: polls a discovery backend, runs device health, keeps the device-plugin
 * endpoints' lists current, publishes the node inventory annotation and serves metrics.
 * `buildAgent(deps)` returns it unstarted; `start()` restores the checkpoint, reconciles
 * with the kubelet's pod-resources API and registers.
 */
import type { Logger } from 'pino';
import type { Device } from '../../core/index.js';
import { AllocationService } from '../../device-plugin/src/allocation-service.js';
import { Checkpoint } from '../../device-plugin/src/checkpoint.js';
import { PluginManager } from '../../device-plugin/src/plugin-manager.js';
import type { PodSource } from '../../device-plugin/src/pod-source.js';
import { listPodResources, reconcile } from '../../device-plugin/src/pod-resources.js';
import { planResources, type AdvertisedResource } from '../../device-plugin/src/resources.js';
import { emptyDiscovery, type Discovery, type DiscoveryBackend } from './backends/types.js';
import { HealthTracker, type HealthTransition } from './health.js';
import { startHttp, type HttpServer } from './http.js';
import { buildInventory, InventoryPublisher, type NodePatcher } from './inventory.js';
import { AgentMetrics, type ShareSample } from './metrics.js';

export const AGENT_VERSION = 'tessera-agent/0.1.0';

export interface AgentDeps {
  readonly nodeName: string;
  readonly backend: DiscoveryBackend;
  /** `isSynced` (when present) gates pruning: records are only dropped against a complete pod list. */
  readonly pods: PodSource & { waitForSync?: () => Promise<void>; isSynced?: () => boolean };
  readonly patcher: NodePatcher;
  readonly log: Logger;
  readonly deviceDir: string;
  readonly stateDir: string;
  readonly podResourcesSocket: string | null;
  readonly slotsPerDevice: number;
  readonly vnpuTemplates: readonly string[];
  readonly nowMs: () => number;
  readonly pollIntervalMs: number;
  readonly resyncMs: number;
  readonly recoverAfterPolls: number;
  readonly ignoredXids: readonly number[] | 'all';
  /** `[host:]port`; null: no HTTP server. */
  readonly metricsListen: string | null;
  readonly registrationCheckMs?: number;
  readonly hostname?: string;
  /** How long Allocate waits for a late pod update carrying the decision (default 2000 ms). */
  readonly allocateWaitMs?: number;
  /** Re-export this dcgm-exporter URL (relabelled) instead of our own DCGM gauges. */
  readonly dcgmExporterUrl?: string;
  /** How long start() waits for the pod source's first list before reconciling anyway. */
  readonly syncTimeoutMs?: number;
}

export interface Agent {
  readonly service: AllocationService;
  readonly manager: PluginManager;
  readonly health: HealthTracker;
  readonly metrics: AgentMetrics;
  readonly publisher: InventoryPublisher;
  readonly http: () => HttpServer | null;
  start(): Promise<void>;
  /** One poll: discover, health, lists, inventory. Never throws. */
  tick(): Promise<HealthTransition[]>;
  stop(): Promise<void>;
}

export function buildAgent(deps: AgentDeps): Agent {
  const log = deps.log;
  const checkpoint = new Checkpoint(deps.stateDir);
  const service = new AllocationService({ nodeName: deps.nodeName, pods: deps.pods, checkpoint, log: log.child({ component: 'device-plugin' }), nowMs: deps.nowMs, allocateWaitMs: deps.allocateWaitMs ?? 2000 });
  const manager = new PluginManager({ dir: deps.deviceDir, service, log: log.child({ component: 'registration' }), checkIntervalMs: deps.registrationCheckMs ?? 5000 });
  const health = new HealthTracker({ recoverAfterPolls: deps.recoverAfterPolls, ignoredXids: deps.ignoredXids, nowMs: deps.nowMs });
  const publisher = new InventoryPublisher({ nodeName: deps.nodeName, patcher: deps.patcher, resyncMs: deps.resyncMs, nowMs: deps.nowMs });
  let last: Discovery | null = null;
  let resourcesKey = '';
  let timer: NodeJS.Timeout | null = null;
  let http: HttpServer | null = null;
  let ticking: Promise<HealthTransition[]> | null = null;
  let lastWarnings = '';

  const shares = (): ShareSample[] => {
    const out: ShareSample[] = [];
    const pods = new Map(deps.pods.list().map((p) => [p.uid, p]));
    for (const r of service.ledger.records()) {
      const pod = pods.get(r.podUid);
      const decision = pod === undefined ? null : service.ledger.decisionOf(pod);
      const c = decision?.containers.find((x) => x.index === r.containerIndex);
      if (decision === null || c === undefined) continue;
      for (const d of c.devices)
        out.push({ namespace: r.namespace, pod: r.name, container: r.container, tenant: r.namespace, pool: decision.pool ?? '', queue: decision.queue ?? '', deviceId: d.id, isolation: decision.isolation, memoryMiB: d.memoryMiB, computeMilli: d.computeMilli });
    }
    return out;
  };

  const metrics = new AgentMetrics({
    hostname: deps.hostname ?? deps.nodeName,
    discovery: () => last,
    health: (id) => health.record(id),
    shares,
    registered: () => manager.ready(),
    allocations: () => service.counts,
    ...(deps.dcgmExporterUrl !== undefined ? { dcgmExporterUrl: deps.dcgmExporterUrl } : {}),
  });

  const resourcesFor = (d: Discovery): AdvertisedResource[] =>
    planResources({ vendor: d.vendor, models: d.devices.map((x) => x.model), slotsPerDevice: deps.slotsPerDevice, vnpuTemplates: deps.vnpuTemplates });

  async function discover(): Promise<Discovery> {
    try {
      return await deps.backend.discover();
    } catch (err) {
      metrics.pollErrors.inc();
      log.warn({ err, backend: deps.backend.name }, 'discovery failed; advertising no devices and retrying');
      return emptyDiscovery(deps.backend.vendor, (err as Error).message);
    }
  }

  async function runTick(): Promise<HealthTransition[]> {
    const d = await discover();
    const w = d.warnings.join('\n');
    if (w !== lastWarnings && w !== '') log.warn({ warnings: d.warnings }, 'discovery warnings');
    lastWarnings = w;
    const transitions = health.observe(d);
    for (const t of transitions) {
      metrics.healthTransitions.inc({ to: t.to });
      log.info({ device: t.deviceId, from: t.from, to: t.to, reason: t.reason }, 'device health changed');
    }
    const reasons: Record<string, string> = { ...d.reasons };
    const devices: Device[] = d.devices.map((dev) => {
      const rec = health.record(dev.id);
      const ok = rec === undefined || rec.state === 'healthy';
      if (!ok && rec !== undefined) reasons[dev.id] = rec.state === 'recovering' ? `recovering (${rec.goodPolls}/${deps.recoverAfterPolls} good polls) after: ${rec.reason}` : rec.reason;
      return ok === (dev.health === 'healthy') ? dev : { ...dev, health: ok ? 'healthy' : 'unhealthy' };
    });
    last = d;
    service.setDevices({ vendor: d.vendor, devices, topology: d.topology });
    const resources = resourcesFor(d);
    const key = JSON.stringify(resources);
    if (key !== resourcesKey) {
      resourcesKey = key;
      await manager.setResources(resources);
    }
    manager.publish();
    await pruneServed();
    try {
      const patched = await publisher.publish(buildInventory({ vendor: d.vendor, devices, topology: d.topology, reasons, slotsPerDevice: d.vendor === 'nvidia' ? deps.slotsPerDevice : 1, agent: AGENT_VERSION }));
      if (patched) metrics.inventoryPatches.inc();
    } catch (err) {
      log.warn({ err }, 'inventory patch failed; will retry');
    }
    return transitions;
  }

  function tick(): Promise<HealthTransition[]> {
    if (ticking !== null) return ticking;
    ticking = runTick()
      .catch((err: unknown) => {
        log.error({ err }, 'agent tick failed');
        return [];
      })
      .finally(() => {
        ticking = null;
      });
    return ticking;
  }

  /** Forget served records of pods that are gone, so the checkpoint does not grow forever. */
  async function pruneServed(): Promise<void> {
    if (deps.pods.isSynced !== undefined && !deps.pods.isSynced()) return;
    const dropped = service.ledger.prune(new Set(deps.pods.list().map((p) => p.uid)));
    if (dropped === 0) return;
    log.info({ dropped }, 'pruned allocations of deleted pods');
    try {
      await service.persist();
    } catch (err) {
      log.warn({ err }, 'checkpoint write failed; will retry');
    }
  }

  async function reconcileAtStart(resourceNames: readonly string[]): Promise<void> {
    let entries: Awaited<ReturnType<Checkpoint['load']>> = [];
    try {
      entries = await checkpoint.load();
    } catch (err) {
      log.error({ err }, 'checkpoint unreadable; starting from the kubelet pod-resources view only');
    }
    if (deps.pods.waitForSync !== undefined) {
      const synced = await Promise.race([deps.pods.waitForSync().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), deps.syncTimeoutMs ?? 30_000).unref())]);
      if (!synced) log.warn('pod list not synced in time; reconciling with what is known');
    }
    let podResources = null;
    if (deps.podResourcesSocket !== null) {
      try {
        podResources = await listPodResources(deps.podResourcesSocket);
      } catch (err) {
        log.warn({ err }, 'pod-resources API unavailable; keeping the checkpoint as is');
      }
    }
    const r = reconcile({ service, checkpoint: entries, podResources, resources: resourceNames, nowMs: deps.nowMs() });
    log.info(r, 'reconciled allocations after start');
    await service.persist();
  }

  return {
    service,
    manager,
    health,
    metrics,
    publisher,
    http: () => http,
    async start() {
      const d = await discover();
      last = d;
      health.observe(d);
      service.setDevices({ vendor: d.vendor, devices: d.devices, topology: d.topology });
      const resources = resourcesFor(d);
      resourcesKey = JSON.stringify(resources);
      // Reconcile before registering, so no Allocate can arrive before the served set is known.
      await reconcileAtStart(resources.map((r) => r.resourceName));
      await manager.start(resources);
      await tick();
      if (deps.metricsListen !== null) {
        http = await startHttp(deps.metricsListen, { metrics: () => metrics.text(), contentType: metrics.registry.contentType, ready: () => manager.ready() });
        log.info({ url: http.url }, 'metrics listening');
      }
      timer = setInterval(() => void tick(), deps.pollIntervalMs);
      timer.unref();
    },
    tick,
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (ticking !== null) await ticking;
      await manager.stop();
      await http?.close();
      http = null;
    },
  };
}
