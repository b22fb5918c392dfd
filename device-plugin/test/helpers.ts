/** Builders shared by the device-plugin tests. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Decision, Device, IsolationMode, LinkClass, Topology } from '../../core/index.js';
import { AllocationService, type NodeDevices } from '../src/allocation-service.js';
import { Checkpoint } from '../src/checkpoint.js';
import { MemoryPodSource, type PodInfo } from '../src/pod-source.js';
import { PluginManager } from '../src/plugin-manager.js';
import { planResources } from '../src/resources.js';
import { FakeKubelet } from './fake-kubelet.js';

export const silent = pino({ level: 'silent' });

export function gpu(i: number, health: Device['health'] = 'healthy'): Device {
  return { id: `GPU-${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`, index: i, vendor: 'nvidia', model: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920, computeMilli: 1000, numa: i < 4 ? 0 : 1, health };
}

/** DGX-like: pairs (0,1),(2,3),… on NV12, the rest SYS. */
export function pairTopology(n: number): Topology {
  const links: LinkClass[][] = [];
  for (let a = 0; a < n; a++) {
    const row: LinkClass[] = [];
    for (let b = 0; b < n; b++) row.push(a === b ? 'X' : Math.floor(a / 2) === Math.floor(b / 2) ? 'NV12' : 'SYS');
    links.push(row);
  }
  return { kind: 'nvlink', links };
}

export function nvidiaNode(n: number): NodeDevices {
  return { vendor: 'nvidia', devices: Array.from({ length: n }, (_, i) => gpu(i)), topology: pairTopology(n) };
}

export interface DecisionPodOptions {
  readonly uid: string;
  readonly devices: readonly Device[];
  readonly memoryMiB?: number;
  readonly computeMilli?: number;
  readonly isolation?: IsolationMode;
  readonly decidedAtMs?: number;
  readonly resource?: string;
  readonly node?: string;
}

export function decisionPod(o: DecisionPodOptions): PodInfo {
  const exclusive = o.memoryMiB === undefined && o.computeMilli === undefined;
  const decision: Decision = {
    version: 1,
    podUid: o.uid,
    namespace: 'team-a',
    name: `pod-${o.uid}`,
    node: o.node ?? 'node-1',
    isolation: o.isolation ?? (exclusive ? 'exclusive' : 'hami-core'),
    decidedAtMs: o.decidedAtMs ?? 1000,
    containers: [
      {
        name: 'main',
        index: 0,
        resource: o.resource ?? 'nvidia.com/gpu',
        devices: o.devices.map((d) => ({ id: d.id, index: d.index, memoryMiB: o.memoryMiB ?? d.memoryMiB, computeMilli: o.computeMilli ?? 1000, exclusive })),
      },
    ],
  };
  return { uid: o.uid, namespace: 'team-a', name: `pod-${o.uid}`, nodeName: 'node-1', phase: 'Pending', annotations: { 'tessera.io/decision': JSON.stringify(decision) }, containers: ['main'] };
}

export interface Rig {
  readonly dir: string;
  readonly stateDir: string;
  readonly kubelet: FakeKubelet;
  readonly pods: MemoryPodSource;
  service: AllocationService;
  manager: PluginManager;
  checkpoint: Checkpoint;
  startAgent(node: NodeDevices, slots: number, allocateWaitMs?: number): Promise<void>;
  stopAgent(): Promise<void>;
  close(): Promise<void>;
}

export async function makeRig(): Promise<Rig> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tdp-'));
  const dir = path.join(root, 'dp');
  const stateDir = path.join(root, 'state');
  await fs.mkdir(dir, { recursive: true });
  const kubelet = new FakeKubelet(dir, path.join(root, 'pr'));
  await kubelet.start();
  const pods = new MemoryPodSource();
  let t = 5000;
  const rig: Rig = {
    dir,
    stateDir,
    kubelet,
    pods,
    service: undefined as unknown as AllocationService,
    manager: undefined as unknown as PluginManager,
    checkpoint: new Checkpoint(stateDir),
    async startAgent(node, slots, allocateWaitMs = 0) {
      rig.checkpoint = new Checkpoint(stateDir);
      rig.service = new AllocationService({ nodeName: 'node-1', pods, checkpoint: rig.checkpoint, log: silent, nowMs: () => t++, allocateWaitMs });
      rig.service.setDevices(node);
      rig.manager = new PluginManager({ dir, service: rig.service, log: silent, checkIntervalMs: 100 });
      await rig.manager.start(planResources({ vendor: node.vendor, models: node.devices.map((d) => d.model), slotsPerDevice: slots, vnpuTemplates: ['2c'] }));
    },
    async stopAgent() {
      await rig.manager.stop();
    },
    async close() {
      await rig.manager?.stop();
      await kubelet.stop();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  return rig;
}
