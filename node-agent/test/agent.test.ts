/**
 * The whole agent against the test kubelet (real gRPC over unix sockets), a fixture
 * backend in a temp copy (edited to inject faults), an in-memory pod source and node
 * patcher, and /metrics over loopback HTTP parsed back with a small text-format parser.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeInventory } from '../../core/index.js';
import { MemoryPodSource } from '../../device-plugin/src/pod-source.js';
import { eventually, FakeKubelet } from '../../device-plugin/test/fake-kubelet.js';
import { buildAgent, type Agent } from '../src/agent.js';
import { FixtureBackend } from '../src/backends/fixture.js';
import type { NodePatcher } from '../src/inventory.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

class MemoryPatcher implements NodePatcher {
  readonly patches: Record<string, string | null>[] = [];
  fail = false;
  async patchNodeAnnotations(_node: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    if (this.fail) throw new Error('apiserver unavailable');
    this.patches.push({ ...annotations });
  }
  inventory(): NodeInventory {
    return JSON.parse(this.patches[this.patches.length - 1]!['tessera.io/inventory']!) as NodeInventory;
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Minimal Prometheus text-format parser: `name{a="b",…} value`, skipping # lines. */
function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`bad exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function rig(opts: { recoverAfterPolls?: number; fixture?: string } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tag-'));
  const fx = path.join(root, 'fixture');
  cpSync(path.join(fixtures, opts.fixture ?? 'dgx-a100-8x'), fx, { recursive: true });
  const dir = path.join(root, 'dp');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const kubelet = new FakeKubelet(dir, path.join(root, 'pr'));
  await kubelet.start();
  const pods = new MemoryPodSource();
  const patcher = new MemoryPatcher();
  let now = 1_000_000;
  const make = (): Agent => buildAgent({
    nodeName: 'node-1',
    backend: new FixtureBackend(fx),
    pods,
    patcher,
    log: pino({ level: 'silent' }),
    deviceDir: dir,
    stateDir: path.join(root, 'state'),
    podResourcesSocket: kubelet.podResourcesPath,
    slotsPerDevice: 2,
    vnpuTemplates: ['4c'],
    nowMs: () => now,
    pollIntervalMs: 3_600_000,
    resyncMs: 600_000,
    recoverAfterPolls: opts.recoverAfterPolls ?? 2,
    ignoredXids: [13, 31, 43, 45, 68, 109],
    metricsListen: '127.0.0.1:0',
    registrationCheckMs: 100,
    allocateWaitMs: 0,
  });
  let agent = make();
  cleanup = async () => {
    await agent.stop();
    await kubelet.stop();
    rmSync(root, { recursive: true, force: true });
  };
  return {
    get agent() {
      return agent;
    },
    async restartAgent() {
      await agent.stop();
      agent = make();
      await agent.start();
    },
    kubelet,
    pods,
    patcher,
    fx,
    advance: (ms: number) => (now += ms),
  };
}

const A100 = (i: number): string => `GPU-${i.toString(16).padStart(8, '0')}-a100-4c1d-9e2f-00000000000${i}`;

describe('node agent', () => {
  it('registers, publishes the inventory once, and patches again only on change or resync', async () => {
    const r = await rig();
    await r.agent.start();
    await eventually(() => r.kubelet.devices('nvidia.com/gpu').length === 16, 'device list');
    expect(r.patcher.patches).toHaveLength(1);
    const inv = r.patcher.inventory();
    expect(inv).toMatchObject({ version: 1, vendor: 'nvidia', slotsPerDevice: 2 });
    expect(inv.devices).toHaveLength(8);
    expect(inv.topology.kind).toBe('nvlink');
    await r.agent.tick();
    await r.agent.tick();
    expect(r.patcher.patches).toHaveLength(1);
    r.advance(600_000);
    await r.agent.tick();
    expect(r.patcher.patches).toHaveLength(2);
    // A failed patch is retried on the next tick.
    appendFileSync(path.join(r.fx, 'xid.log'), 'NVRM: Xid (PCI:0000:07:00): 79, pid=1, GPU has fallen off the bus.\n');
    r.patcher.fail = true;
    await r.agent.tick();
    r.patcher.fail = false;
    await r.agent.tick();
    expect(r.patcher.patches).toHaveLength(3);
    expect(r.patcher.inventory().devices[0]).toMatchObject({ health: 'unhealthy' });
  });

  it('withdraws a GPU on a critical XID at once and offers it again after N good polls, without restart', async () => {
    const r = await rig({ recoverAfterPolls: 2 });
    await r.agent.start();
    const k = r.kubelet;
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 16, 'healthy list');
    appendFileSync(path.join(r.fx, 'xid.log'), 'NVRM: Xid (PCI:0000:47:00): 13, pid=9, Graphics Engine Exception\n');
    await r.agent.tick();
    expect(r.agent.health.record(A100(2))?.state).toBe('healthy');
    appendFileSync(path.join(r.fx, 'xid.log'), 'NVRM: Xid (PCI:0000:47:00): 79, pid=9, GPU has fallen off the bus.\n');
    const tr = await r.agent.tick();
    expect(tr).toEqual([{ deviceId: A100(2), from: 'healthy', to: 'unhealthy', reason: 'XID 79' }]);
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 14, 'withdrawn');
    expect(k.devices('nvidia.com/gpu').filter((d) => d.health === 'Unhealthy').map((d) => d.ID)).toEqual([`${A100(2)}::0`, `${A100(2)}::1`]);
    expect(r.patcher.inventory().devices[2]).toMatchObject({ health: 'unhealthy', reason: 'XID 79' });
    await r.agent.tick();
    expect(r.agent.health.record(A100(2))?.state).toBe('recovering');
    expect(k.healthyIds('nvidia.com/gpu')).toHaveLength(14);
    expect(r.patcher.inventory().devices[2]?.reason).toMatch(/^recovering \(1\/2 good polls\) after: XID 79$/);
    await r.agent.tick();
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 16, 'returned');
    expect(r.patcher.inventory().devices[2]).toEqual(expect.objectContaining({ health: 'healthy' }));
    expect(r.patcher.inventory().devices[2]?.reason).toBeUndefined();
    expect(k.registrations).toHaveLength(1);
  });

  it('serves /metrics with dcgm names, share metrics and readiness', async () => {
    const r = await rig();
    await r.agent.start();
    await eventually(() => r.kubelet.devices('nvidia.com/gpu').length === 16, 'device list');
    r.pods.upsert({
      uid: 'u1',
      namespace: 'team-a',
      name: 'trainer',
      phase: 'Pending',
      annotations: {
        'tessera.io/decision': JSON.stringify({
          version: 1, podUid: 'u1', namespace: 'team-a', name: 'trainer', node: 'node-1', isolation: 'hami-core', pool: 'training', queue: 'qa', decidedAtMs: 5,
          containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: A100(5), index: 5, memoryMiB: 20480, computeMilli: 250, exclusive: false }] }],
        }),
      },
    });
    await r.kubelet.admit('nvidia.com/gpu', 1);
    const base = r.agent.http()!.url;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const samples = parseProm(await res.text());
    const util = samples.filter((s) => s.name === 'DCGM_FI_DEV_GPU_UTIL');
    expect(util).toHaveLength(8);
    // telemetry.csv: utilization of GPU i is i × 10.
    expect(util.find((s) => s.labels['gpu'] === '4')).toMatchObject({ value: 40, labels: { UUID: A100(4), device: 'nvidia4', modelName: 'NVIDIA A100-SXM4-80GB', Hostname: 'node-1', pci_bus_id: '00000000:87:00.0' } });
    expect(samples.filter((s) => s.name === 'DCGM_FI_DEV_FB_FREE').find((s) => s.labels['gpu'] === '1')?.value).toBe(80919);
    const mem = samples.find((s) => s.name === 'tessera_agent_share_memory_bytes');
    // 20480 MiB × 1048576 = 21474836480 bytes.
    expect(mem).toEqual({ name: 'tessera_agent_share_memory_bytes', labels: { namespace: 'team-a', pod: 'trainer', container: 'main', tenant: 'team-a', pool: 'training', queue: 'qa', device: A100(5), isolation: 'hami-core' }, value: 21474836480 });
    expect(samples.find((s) => s.name === 'tessera_agent_share_compute_ratio')?.value).toBe(0.25);
    expect(samples.find((s) => s.name === 'tessera_agent_registered')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'tessera_agent_allocations' && s.labels['outcome'] === 'decision')?.value).toBe(1);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('with no hardware it advertises zero devices, is not crashed, and picks devices up when they appear', async () => {
    const r = await rig();
    rmSync(path.join(r.fx, 'fixture.json'));
    await r.agent.start();
    await eventually(() => r.kubelet.plugin('nvidia.com/gpu') !== undefined, 'registration with zero devices');
    expect(r.kubelet.devices('nvidia.com/gpu')).toEqual([]);
    expect(r.patcher.inventory().devices).toEqual([]);
    cpSync(path.join(fixtures, 'dgx-a100-8x', 'fixture.json'), path.join(r.fx, 'fixture.json'));
    await r.agent.tick();
    await eventually(() => r.kubelet.devices('nvidia.com/gpu').length === 16, 'devices appear');
  });

  it('agent restart with a running pod: checkpoint + pod-resources reconcile, same IDs re-advertised, nothing served twice', async () => {
    const r = await rig();
    await r.agent.start();
    const k = r.kubelet;
    await eventually(() => k.devices('nvidia.com/gpu').length === 16, 'device list');
    const decision = (uid: string, mem: number) => ({
      uid, namespace: 'team-a', name: uid, phase: 'Running',
      annotations: { 'tessera.io/decision': JSON.stringify({ version: 1, podUid: uid, namespace: 'team-a', name: uid, node: 'node-1', isolation: 'hami-core', decidedAtMs: 1, containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: A100(3), index: 3, memoryMiB: mem, computeMilli: 500, exclusive: false }] }] }) },
    });
    r.pods.upsert(decision('running', 1000));
    const first = await k.admit('nvidia.com/gpu', 1);
    expect(first.response.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('running');
    const before = k.devices('nvidia.com/gpu').map((d) => d.ID);
    k.podResources = [{ name: 'running', namespace: 'team-a', containers: [{ name: 'main', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: first.ids }] }] }];
    await r.restartAgent();
    await eventually(() => k.registrations.length === 2 && k.devices('nvidia.com/gpu').length === 16, 're-registration');
    expect(k.devices('nvidia.com/gpu').map((d) => d.ID)).toEqual(before);
    expect(r.agent.service.ledger.isServed('running', 0)).toBe(true);
    // A new pod with the same signature gets its own decision, not the running pod's.
    r.pods.upsert(decision('second', 2000));
    const second = await k.admit('nvidia.com/gpu', 1);
    expect(second.response.container_responses[0]?.envs).toMatchObject({ TESSERA_POD_UID: 'second', CUDA_DEVICE_MEMORY_LIMIT_0: '2000m' });
  });

  it('Ascend: npu-smi health Critical withdraws the chip and its vNPU slots; npu-exporter health goes to 0', async () => {
    const r = await rig({ fixture: 'atlas800-910a', recoverAfterPolls: 1 });
    await r.agent.start();
    const k = r.kubelet;
    // 32 AI cores / 4 per 4c slot = 8 slots per chip.
    await eventually(() => k.healthyIds('huawei.com/Ascend910').length === 8 && k.healthyIds('huawei.com/Ascend910-4c').length === 64, 'ascend lists');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const info = path.join(r.fx, 'npu-smi-info.txt');
    const orig = readFileSync(info, 'utf8');
    // Chip 3's row: `| 3     910A           | OK            | 191.7 …`.
    writeFileSync(info, orig.replace(/(\|\s3\s+910A\s+\|\s)OK(\s)/, '$1Critical$2'));
    expect(readFileSync(info, 'utf8')).toMatch(/\| 3\s+910A\s+\| Critical/);
    await r.agent.tick();
    await eventually(() => k.healthyIds('huawei.com/Ascend910').length === 7 && k.healthyIds('huawei.com/Ascend910-4c').length === 56, 'withdrawn');
    expect(k.devices('huawei.com/Ascend910').find((d) => d.health === 'Unhealthy')?.ID).toBe('Ascend910-3');
    expect(r.patcher.inventory().devices[3]).toMatchObject({ health: 'unhealthy', reason: 'npu-smi health Critical' });
    const text = await (await fetch(`${r.agent.http()!.url}/metrics`)).text();
    expect(text).toMatch(/npu_chip_info_health_status\{id="3",model_name="Ascend910A",pcie_bus_info="0000:3E:00.0",vdie_id=""\} 0/);
    expect(text).toMatch(/npu_chip_info_health_status\{id="2",[^}]*\} 1/);
    writeFileSync(info, orig);
    await r.agent.tick();
    await eventually(() => k.healthyIds('huawei.com/Ascend910').length === 8, 'back');
  });
});
