/**
 * Wires the extender's parts (cache, engines, verbs, journal, metrics) over a KubeAccess.
 * `createService` returns everything unstarted; `start()` begins list-watching.
 */
import type { Logger } from 'pino';
import { ClusterState } from './cluster-state.js';
import { CorePlacement, shapeOf } from './core-placement.js';
import { Extender } from './extender.js';
import { Journal } from './journal.js';
import type { KubeAccess } from './kube.js';
import { ExtenderMetrics } from './metrics.js';
import { QuotaAdapter } from './quota-adapter.js';
import { NO_QUOTA } from './quota-port.js';
import { Reclaimer } from './reclaim.js';

export interface ServiceOptions {
  readonly kube: KubeAccess;
  readonly log: Logger;
  readonly clock?: () => number;
  /** How long filter holds devices for a pod that is not bound yet. Default 30 s. */
  readonly reservationTtlMs?: number;
  /** Leadership (leader.ts); default: always leader (single replica). */
  readonly isLeader?: () => boolean;
  readonly defaultMetrics?: boolean;
  /** Pod shapes memoised per node by the placement cache (memory vs CPU). Default 64. */
  readonly cacheShapesPerNode?: number;
}

export interface Service {
  readonly state: ClusterState;
  readonly extender: Extender;
  readonly placement: CorePlacement;
  readonly quota: QuotaAdapter;
  readonly reclaim: Reclaimer;
  readonly journal: Journal;
  readonly metrics: ExtenderMetrics;
  readonly kube: KubeAccess;
  readonly log: Logger;
  readonly clock: () => number;
  isLeader(): boolean;
  /** Cache synced (watches healthy). */
  ready(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Recompute the FGD workload mix from the grants held now. */
  refreshWorkload(): void;
}

export function createService(opts: ServiceOptions): Service {
  const clock = opts.clock ?? Date.now;
  const state = new ClusterState();
  const placement = new CorePlacement(opts.cacheShapesPerNode);
  const quota = new QuotaAdapter(state);
  const journal = new Journal();
  const metrics = new ExtenderMetrics({ defaultMetrics: opts.defaultMetrics ?? false });
  const isLeader = opts.isLeader ?? (() => true);
  const log = opts.log;
  const reclaim = new Reclaimer({
    state,
    placement,
    quota: () => (quota.active() ? quota : null),
    kube: opts.kube,
    clock,
    isLeader,
    journal,
    log: log.child({ component: 'reclaim' }),
    registry: metrics.registry,
    computeOvercommit: (node) => extender.overcommitOf(node),
  });
  const extender: Extender = new Extender({
    state,
    placement,
    kube: opts.kube,
    clock,
    reservationTtlMs: opts.reservationTtlMs ?? 30_000,
    isLeader,
    metrics,
    journal,
    log: log.child({ component: 'extender' }),
    quota: () => (quota.active() ? quota : NO_QUOTA),
    reclaim,
  });
  state.onChange((e) => {
    if (e.type === 'synced') {
      if (e.synced) log.info('cluster cache synced');
      else log.warn({ reason: e.message }, 'cluster cache not synced');
    }
  });
  let workloadTimer: NodeJS.Timeout | null = null;
  const refreshWorkload = (): void => {
    const hosts: { model: string; devices: number; cpuMilli: number }[] = [];
    for (const e of state.nodes.values()) {
      const n = e.node;
      if (n.devices.length === 0) continue;
      hosts.push({ model: (n.devices[0] as { model: string }).model, devices: n.devices.length, cpuMilli: n.cpuMilli });
    }
    placement.setWorkload([...state.holdings.values()].map((h) => shapeOf(h.request)), hosts);
  };
  return {
    state,
    extender,
    placement,
    quota,
    reclaim,
    journal,
    metrics,
    kube: opts.kube,
    log,
    clock,
    isLeader,
    ready: () => state.synced,
    refreshWorkload,
    async start() {
      await opts.kube.start(state);
      refreshWorkload();
      workloadTimer = setInterval(refreshWorkload, 60_000);
      workloadTimer.unref();
    },
    async stop() {
      if (workloadTimer !== null) clearInterval(workloadTimer);
      await opts.kube.stop();
    },
  };
}
