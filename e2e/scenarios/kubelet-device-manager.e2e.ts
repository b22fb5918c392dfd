/**
 * The device-manager harness itself, checked against the kubelet's own stub
 * device plugin (pkg/kubelet/cm/devicemanager/plugin/v1beta1.Stub): registration,
 * ListAndWatch capacity, the preferred-allocation path, the run options handed to
 * the runtime, refusal when devices run out, and release.
 */
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envOf, KubeletDeviceManager, KubeletRefused } from '../lib/devicemanager.js';
import { e2eEnv } from '../lib/kube.js';
import { startProc, stopProc, type Proc } from '../lib/procs.js';

const env = e2eEnv();
const RES = 'example.com/dev';
let dm: KubeletDeviceManager;
let stub: Proc;

function pod(uid: string, count: number): V1Pod {
  return {
    metadata: { uid, name: uid, namespace: 'dm' },
    spec: { containers: [{ name: 'main', image: 'x', resources: { limits: { [RES]: String(count) } } }] },
  };
}

beforeAll(async () => {
  dm = await KubeletDeviceManager.start({ binDir: env.binDir, runDir: env.runDir, name: 'devicemanager-stub' });
  stub = startProc({
    name: 'stubplugin',
    runDir: env.runDir,
    command: join(env.binDir, 'stubplugin'),
    args: [`--dir=${dm.dir}`, `--resource=${RES}`, '--count=4'],
  });
});

afterAll(async () => {
  await stopProc(stub);
  await dm.stop();
});

describe('real kubelet device manager harness', () => {
  it('sees the registered plugin and its ListAndWatch devices', async () => {
    const cap = await dm.waitForAllocatable(RES, 4);
    expect(cap.capacity[RES]).toBe('4');
    const devices = await dm.devices();
    expect(devices[RES]?.map((d) => d.id)).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3']);
  });

  it('allocates through GetPreferredAllocation and returns the plugin answer as run options', async () => {
    const [c] = await dm.admit(pod('p1', 2));
    // The stub prefers the highest-numbered free devices; the kubelet must use that answer.
    expect(c?.devices[RES]).toEqual(['dev-2', 'dev-3']);
    expect(c && envOf(c, 'STUB_DEVICES')).toBe('dev-2,dev-3');
    expect(c?.annotations).toContainEqual({ name: 'stub.example.com/devices', value: 'dev-2,dev-3' });
    expect(c?.cdiDevices).toEqual(['example.com/dev=dev-2']);
  });

  it('refuses a pod when not enough devices are free, with the kubelet error', async () => {
    const err = await dm.admit(pod('p2', 3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeletRefused);
    expect((err as Error).message).toMatch(/Requested: 3, Available: 2/);
  });

  it('frees devices when a pod is released', async () => {
    expect(await dm.release('p1')).toEqual({ released: true });
    const [c] = await dm.admit(pod('p3', 4));
    expect(c?.devices[RES]).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3']);
  });
});
