/**
 * Client for the Go harness around the real kubelet device manager
 * (e2e/harness/cmd/devicemanager): starts it on a device-plugin directory and
 * talks to its loopback HTTP control interface.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { startProc, stopProc, waitFor, type Proc } from './procs.js';

export interface RunOptions {
  readonly name: string;
  /** Device ids per resource, as the kubelet's podDevices records them. */
  readonly devices: Record<string, string[]>;
  readonly envs: { name: string; value: string }[];
  readonly mounts: { containerPath: string; hostPath: string; readOnly: boolean }[];
  readonly deviceSpecs: { hostPath: string; containerPath: string; permissions: string }[];
  readonly annotations: { name: string; value: string }[];
  readonly cdiDevices: string[];
}

export interface Capacity {
  readonly capacity: Record<string, string>;
  readonly allocatable: Record<string, string>;
  readonly removed: string[];
}

export class KubeletDeviceManager {
  private constructor(
    readonly proc: Proc,
    readonly url: string,
    /** The device-plugin directory (kubelet.sock lives here). */
    readonly dir: string,
  ) {}

  static async start(opts: { binDir: string; runDir: string; name?: string; dir?: string; podResourcesSocket?: string }): Promise<KubeletDeviceManager> {
    const dir = opts.dir ?? mkdtempSync(join(opts.runDir, 'device-plugins-'));
    let url: string | undefined;
    const proc = startProc({
      name: opts.name ?? 'devicemanager',
      runDir: opts.runDir,
      command: join(opts.binDir, 'devicemanager'),
      args: [`--dir=${dir}`, '--listen=127.0.0.1:0', ...(opts.podResourcesSocket ? [`--pod-resources-socket=${opts.podResourcesSocket}`] : [])],
      onStdoutLine: (line) => {
        try {
          const v = JSON.parse(line) as { url?: string };
          if (typeof v.url === 'string') url = v.url;
        } catch {
          // not our announcement line
        }
      },
    });
    const found = await waitFor('device manager harness to announce its URL', () => url, { proc, timeoutMs: 20_000 });
    return new KubeletDeviceManager(proc, found, dir);
  }

  async stop(): Promise<void> {
    await stopProc(this.proc);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // raw text
      }
      throw new KubeletRefused(res.status, msg);
    }
    return JSON.parse(text) as T;
  }

  capacity(): Promise<Capacity> {
    return this.call('GET', '/capacity');
  }

  devices(): Promise<Record<string, { id: string; health: string; numa: number[] }[]>> {
    return this.call('GET', '/devices');
  }

  /** Admits the pod like the kubelet does: Allocate + run options for every container. */
  async admit(pod: V1Pod): Promise<RunOptions[]> {
    const r = await this.call<{ containers: RunOptions[] }>('POST', '/admit', { pod });
    return r.containers;
  }

  release(podUID: string): Promise<{ released: boolean }> {
    return this.call('POST', '/release', { podUID });
  }

  /** Waits until the device manager reports `count` allocatable devices of `resource`. */
  async waitForAllocatable(resource: string, count: number, timeoutMs = 20_000): Promise<Capacity> {
    return waitFor(`kubelet device manager to see ${count} allocatable ${resource}`, async () => {
      const c = await this.capacity();
      return c.allocatable[resource] === String(count) ? c : undefined;
    }, { proc: this.proc, timeoutMs });
  }
}

export class KubeletRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeletRefused';
  }
}

export function envOf(opts: RunOptions, name: string): string | undefined {
  return opts.envs.find((e) => e.name === name)?.value;
}
