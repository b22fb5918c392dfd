/**
 * Runs one plugin endpoint per resource and keeps them registered: when the kubelet
 * restarts it wipes the device-plugin directory and creates a fresh kubelet.sock, so the
 * manager watches the directory (fs.watch) and also checks periodically; a missing own
 * socket or a new kubelet.sock means serve again and Register again.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AllocationService } from './allocation-service.js';
import { PluginEndpoint } from './plugin-endpoint.js';
import { KUBELET_SOCKET_NAME } from './proto.js';
import type { AdvertisedResource } from './resources.js';

export interface PluginManagerOptions {
  readonly dir: string;
  readonly service: AllocationService;
  readonly log: Logger;
  /** Periodic check interval (fs.watch may miss events). */
  readonly checkIntervalMs?: number;
  /** Kubelet socket; default `<dir>/kubelet.sock`. */
  readonly kubeletSocket?: string;
}

function inodeOf(file: string): string | null {
  try {
    const st = statSync(file);
    return String(st.ino);
  } catch {
    return null;
  }
}

export class PluginManager {
  private readonly endpoints = new Map<string, PluginEndpoint>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private recheck = false;
  private kubeletInode: string | null = null;
  private stopped = false;
  readonly kubeletSocket: string;
  /** Successful registrations so far (for tests and metrics). */
  registrations = 0;

  constructor(private readonly opts: PluginManagerOptions) {
    this.kubeletSocket = opts.kubeletSocket ?? path.join(opts.dir, KUBELET_SOCKET_NAME);
  }

  ready(): boolean {
    if (this.endpoints.size === 0) return false;
    for (const e of this.endpoints.values()) if (!e.isRegistered()) return false;
    return true;
  }

  endpoint(resourceName: string): PluginEndpoint | undefined {
    return this.endpoints.get(resourceName);
  }

  resources(): string[] {
    return [...this.endpoints.keys()];
  }

  async start(resources: readonly AdvertisedResource[]): Promise<void> {
    this.stopped = false;
    await this.setResources(resources);
    try {
      this.watcher = watch(this.opts.dir, () => this.check());
      this.watcher.on('error', (err) => this.opts.log.warn({ err }, 'device-plugin directory watch failed; relying on periodic checks'));
    } catch (err) {
      this.opts.log.warn({ err, dir: this.opts.dir }, 'cannot watch device-plugin directory; relying on periodic checks');
    }
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs ?? 5000);
    this.timer.unref();
    await this.check();
  }

  /** Start endpoints for new resources, stop endpoints of resources no longer offered. */
  async setResources(resources: readonly AdvertisedResource[]): Promise<void> {
    const wanted = new Map(resources.map((r) => [r.resourceName, r]));
    for (const [name, ep] of this.endpoints) {
      const want = wanted.get(name);
      if (want === undefined || JSON.stringify(want) !== JSON.stringify(ep.resource)) {
        await ep.stop();
        this.endpoints.delete(name);
      }
    }
    for (const r of resources) {
      if (this.endpoints.has(r.resourceName)) continue;
      const ep = new PluginEndpoint({ resource: r, dir: this.opts.dir, kubeletSocket: this.kubeletSocket, service: this.opts.service, log: this.opts.log.child({ resource: r.resourceName }) });
      await ep.serve();
      this.endpoints.set(r.resourceName, ep);
    }
    if (this.watcher !== null) await this.check();
  }

  /** Push the current device lists to the kubelet (only lists that changed). */
  publish(): number {
    let sent = 0;
    for (const ep of this.endpoints.values()) if (ep.publish()) sent++;
    return sent;
  }

  /** Re-serve / re-register whatever needs it. Concurrent calls share one run. */
  check(): Promise<void> {
    if (this.checking !== null) {
      this.recheck = true;
      return this.checking;
    }
    this.checking = this.runCheck().finally(() => {
      this.checking = null;
      if (this.recheck && !this.stopped) {
        this.recheck = false;
        void this.check();
      }
    });
    return this.checking;
  }

  private async runCheck(): Promise<void> {
    if (this.stopped) return;
    const inode = inodeOf(this.kubeletSocket);
    const kubeletRestarted = inode !== null && this.kubeletInode !== null && inode !== this.kubeletInode;
    for (const ep of this.endpoints.values()) {
      if (this.stopped) return;
      const socketGone = !existsSync(ep.socketPath);
      try {
        if (socketGone) {
          this.opts.log.info({ resource: ep.resource.resourceName }, 'plugin socket removed (kubelet restart?); serving again');
          await ep.serve();
        }
        if (inode === null) continue; // no kubelet yet: wait for kubelet.sock
        if (socketGone || kubeletRestarted || !ep.isRegistered()) {
          await ep.register();
          this.registrations++;
          this.opts.log.info({ resource: ep.resource.resourceName, endpoint: ep.socketName }, 'registered with kubelet');
        }
      } catch (err) {
        this.opts.log.warn({ err, resource: ep.resource.resourceName }, 'registration failed; will retry');
      }
    }
    if (inode !== null && [...this.endpoints.values()].every((e) => e.isRegistered())) this.kubeletInode = inode;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.checking !== null) await this.checking.catch(() => undefined);
    for (const ep of this.endpoints.values()) await ep.stop();
    this.endpoints.clear();
  }
}
