/**
 * Wires the node agent from CLI options: backend, Kubernetes adapters (or stand-ins when
 * there is no cluster), directories, and starts it. Bad options fail fast, naming the flag.
 */
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { MemoryPodSource, type PodSource } from '../../device-plugin/src/pod-source.js';
import { buildAgent, type Agent } from './agent.js';
import { AscendBackend } from './backends/ascend.js';
import { execTool } from './backends/exec.js';
import { FixtureBackend } from './backends/fixture.js';
import { NvidiaBackend } from './backends/nvidia.js';
import type { DiscoveryBackend } from './backends/types.js';
import { parseIgnoredXids } from './health.js';
import type { NodePatcher } from './inventory.js';
import { KubeNodePatcher, KubePodSource, loadKube, LogNodePatcher } from './kube.js';

export interface AgentCliOptions {
  readonly nodeName?: string;
  readonly kubeconfig?: string;
  readonly backend: string;
  readonly fixtureDir?: string;
  readonly devicePluginDir: string;
  readonly podResourcesSocket: string;
  readonly stateDir: string;
  readonly metricsListen: string;
  readonly slotsPerDevice: string;
  readonly nvidiaSmi: string;
  readonly npuSmi: string;
  readonly xidCommand?: string;
  readonly ignoredXids?: string;
  readonly pollInterval: string;
  readonly recoverAfterPolls: string;
  readonly vnpuTemplates: string;
  readonly cluster?: boolean;
  readonly logLevel: string;
  readonly dcgmExporterUrl?: string;
}

function positiveInt(flag: string, v: string, max = 1_000_000_000): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag}: expected an integer 1–${max}, got '${v}'`);
  return n;
}

function makeBackend(o: AgentCliOptions): DiscoveryBackend {
  const run = execTool();
  switch (o.backend) {
    case 'nvidia':
      return new NvidiaBackend({ run, smiPath: o.nvidiaSmi, skipTelemetry: o.dcgmExporterUrl !== undefined, ...(o.xidCommand ? { xidCommand: o.xidCommand.split(/\s+/).filter(Boolean) } : {}) });
    case 'ascend':
      return new AscendBackend({ run, smiPath: o.npuSmi });
    case 'fixture':
      if (o.fixtureDir === undefined) throw new Error('--fixture-dir: required with --backend fixture');
      return new FixtureBackend(path.resolve(o.fixtureDir));
    default:
      throw new Error(`--backend: expected nvidia, ascend or fixture, got '${o.backend}'`);
  }
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly log: Logger;
  stop(): Promise<void>;
}

export async function runAgent(o: AgentCliOptions): Promise<RunningAgent> {
  const log = pino({ level: o.logLevel, base: { component: 'agent' } });
  const nodeName = o.nodeName ?? process.env['NODE_NAME'] ?? os.hostname();
  const slots = positiveInt('slots-per-device', o.slotsPerDevice, 64);
  const pollIntervalMs = positiveInt('poll-interval', o.pollInterval);
  const recoverAfterPolls = positiveInt('recover-after-polls', o.recoverAfterPolls, 1000);
  const ignoredXids = parseIgnoredXids(o.ignoredXids);
  if (o.dcgmExporterUrl !== undefined && !/^https?:\/\//.test(o.dcgmExporterUrl)) throw new Error(`--dcgm-exporter-url: expected an http(s) URL, got '${o.dcgmExporterUrl}'`);
  const backend = makeBackend(o);
  const useCluster = o.cluster ?? (o.kubeconfig !== undefined || process.env['KUBERNETES_SERVICE_HOST'] !== undefined);
  let pods: PodSource & { waitForSync?: () => Promise<void> };
  let patcher: NodePatcher;
  let kubePods: KubePodSource | null = null;
  if (useCluster) {
    const kube = await loadKube(o.kubeconfig);
    kubePods = new KubePodSource(kube, nodeName, log.child({ component: 'pods' }));
    kubePods.start();
    pods = kubePods;
    patcher = new KubeNodePatcher(kube);
  } else {
    log.warn('no cluster (no --kubeconfig, not in a pod): decisions cannot be read; serving kubelet choices as whole devices');
    pods = new MemoryPodSource();
    patcher = new LogNodePatcher(log);
  }
  const agent = buildAgent({
    nodeName,
    backend,
    pods,
    patcher,
    log,
    deviceDir: o.devicePluginDir,
    stateDir: o.stateDir,
    podResourcesSocket: o.podResourcesSocket === '' ? null : o.podResourcesSocket,
    slotsPerDevice: slots,
    vnpuTemplates: o.vnpuTemplates.split(',').map((s) => s.trim()).filter(Boolean),
    nowMs: () => Date.now(),
    pollIntervalMs,
    resyncMs: 10 * 60_000,
    recoverAfterPolls,
    ignoredXids,
    metricsListen: o.metricsListen === '' ? null : o.metricsListen,
    ...(o.dcgmExporterUrl !== undefined ? { dcgmExporterUrl: o.dcgmExporterUrl } : {}),
  });
  await agent.start();
  log.info({ node: nodeName, backend: backend.name, resources: agent.manager.resources() }, 'agent started');
  return {
    agent,
    log,
    async stop() {
      await agent.stop();
      await kubePods?.stop();
    },
  };
}
