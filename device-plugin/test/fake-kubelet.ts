/**
 * A test kubelet: the Registration server on `<dir>/kubelet.sock` plus a device-plugin
 * client, behaving like the kubelet's device manager (dial back and call
 * GetDevicePluginOptions inside Register, keep one ListAndWatch per resource, pick IDs from
 * the healthy unallocated set after asking GetPreferredAllocation, then Allocate). Also
 * serves a pod-resources `List` on its own socket. Real gRPC over real unix sockets.
 */
import * as grpc from '@grpc/grpc-js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  devicePluginProto,
  podResourcesProto,
  unary,
  unixTarget,
  type PbAllocateResponse,
  type PbDevice,
  type PbDevicePluginOptions,
  type PbListAndWatchResponse,
  type PbPodResources,
  type PbPreferredAllocationResponse,
  type PbRegisterRequest,
} from '../src/proto.js';

interface PluginConn {
  readonly resource: string;
  readonly endpoint: string;
  readonly client: grpc.Client;
  readonly options: PbDevicePluginOptions;
  devices: PbDevice[];
  updates: number;
  stream: grpc.ClientReadableStream<PbListAndWatchResponse>;
}

export interface AdmitResult {
  readonly ids: string[];
  readonly response: PbAllocateResponse;
}

export class FakeKubelet {
  readonly socketPath: string;
  readonly podResourcesPath: string;
  private server: grpc.Server | null = null;
  private podResourcesServer: grpc.Server | null = null;
  private readonly plugins = new Map<string, PluginConn>();
  /** Device IDs handed out per resource (the kubelet's own allocation state). */
  readonly allocated = new Map<string, Set<string>>();
  registrations: PbRegisterRequest[] = [];
  podResources: PbPodResources[] = [];

  constructor(readonly dir: string, podResourcesDir: string) {
    this.socketPath = path.join(dir, 'kubelet.sock');
    this.podResourcesPath = path.join(podResourcesDir, 'kubelet.sock');
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(devicePluginProto().Registration.service, {
      Register: (call: grpc.ServerUnaryCall<PbRegisterRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.onRegister(call.request).then(
          () => cb(null, {}),
          (err: unknown) => cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message, name: 'Error', message: (err as Error).message, metadata: new grpc.Metadata() }),
        );
      },
    });
    await bind(server, this.socketPath);
    this.server = server;
    if (this.podResourcesServer === null) {
      const pr = new grpc.Server();
      pr.addService(podResourcesProto().PodResourcesLister.service, {
        List: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { pod_resources: this.podResources }),
      });
      await fs.mkdir(path.dirname(this.podResourcesPath), { recursive: true });
      await bind(pr, this.podResourcesPath);
      this.podResourcesServer = pr;
    }
  }

  private async onRegister(req: PbRegisterRequest): Promise<void> {
    if (req.version !== 'v1beta1') throw new Error(`unsupported version ${req.version}`);
    if (!/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(req.resource_name) || req.resource_name.startsWith('kubernetes.io/'))
      throw new Error(`not an extended resource name: ${req.resource_name}`);
    if (req.endpoint.includes('/')) throw new Error(`endpoint must be a file name in the device-plugin dir: ${req.endpoint}`);
    const old = this.plugins.get(req.resource_name);
    if (old !== undefined) {
      old.stream.cancel();
      old.client.close();
    }
    const { DevicePlugin } = devicePluginProto();
    const client = new DevicePlugin(unixTarget(path.join(this.dir, req.endpoint)), grpc.credentials.createInsecure());
    // Like the real kubelet: dial back and ask for the options before Register returns.
    const options = await unary<object, PbDevicePluginOptions>(client, 'GetDevicePluginOptions', {}, 10_000);
    const stream = (client as unknown as { ListAndWatch: (req: object) => grpc.ClientReadableStream<PbListAndWatchResponse> }).ListAndWatch({});
    const conn: PluginConn = { resource: req.resource_name, endpoint: req.endpoint, client, options, devices: [], updates: 0, stream };
    stream.on('data', (msg: PbListAndWatchResponse) => {
      conn.devices = msg.devices;
      conn.updates++;
    });
    stream.on('error', () => undefined);
    this.plugins.set(req.resource_name, conn);
    this.registrations.push(req);
  }

  plugin(resource: string): PluginConn | undefined {
    return this.plugins.get(resource);
  }

  devices(resource: string): PbDevice[] {
    return this.plugins.get(resource)?.devices ?? [];
  }

  healthyIds(resource: string): string[] {
    return this.devices(resource).filter((d) => d.health === 'Healthy').map((d) => d.ID);
  }

  async preferred(resource: string, available: string[], mustInclude: string[], size: number): Promise<string[]> {
    const conn = this.mustPlugin(resource);
    const res = await unary<object, PbPreferredAllocationResponse>(conn.client, 'GetPreferredAllocation', {
      container_requests: [{ available_deviceIDs: available, must_include_deviceIDs: mustInclude, allocation_size: size }],
    });
    return res.container_responses[0]?.deviceIDs ?? [];
  }

  async allocate(resource: string, ids: string[]): Promise<PbAllocateResponse> {
    const conn = this.mustPlugin(resource);
    return unary<object, PbAllocateResponse>(conn.client, 'Allocate', { container_requests: [{ devices_ids: ids }] });
  }

  /** Kubelet admission of one container asking `count` of `resource`. */
  async admit(resource: string, count: number): Promise<AdmitResult> {
    const used = this.allocated.get(resource) ?? new Set<string>();
    this.allocated.set(resource, used);
    const available = this.healthyIds(resource).filter((id) => !used.has(id));
    if (available.length < count) throw new Error(`kubelet: ${count} ${resource} requested, ${available.length} available`);
    let ids = available.slice(0, count);
    if (this.mustPlugin(resource).options.get_preferred_allocation_available) {
      const pref = await this.preferred(resource, available, [], count);
      if (pref.length === count && pref.every((id) => available.includes(id))) ids = pref;
    }
    for (const id of ids) used.add(id);
    const response = await this.allocate(resource, ids);
    return { ids, response };
  }

  /** Simulate a kubelet restart: stop, wipe every non-directory file but the checkpoint, serve a fresh kubelet.sock. */
  async restart(): Promise<void> {
    await this.stopRegistration();
    for (const name of await fs.readdir(this.dir)) {
      const full = path.join(this.dir, name);
      const st = await fs.lstat(full);
      if (!st.isDirectory() && name !== 'kubelet_internal_checkpoint') await fs.rm(full, { force: true });
    }
    await this.start();
  }

  private mustPlugin(resource: string): PluginConn {
    const conn = this.plugins.get(resource);
    if (conn === undefined) throw new Error(`kubelet: no plugin registered for ${resource}`);
    return conn;
  }

  private async stopRegistration(): Promise<void> {
    for (const p of this.plugins.values()) {
      p.stream.cancel();
      p.client.close();
    }
    this.plugins.clear();
    const s = this.server;
    this.server = null;
    if (s !== null) await new Promise<void>((r) => s.tryShutdown(() => r()));
  }

  async stop(): Promise<void> {
    await this.stopRegistration();
    const pr = this.podResourcesServer;
    this.podResourcesServer = null;
    if (pr !== null) await new Promise<void>((r) => pr.tryShutdown(() => r()));
  }
}

function bind(server: grpc.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => server.bindAsync(unixTarget(socketPath), grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
}

/** Poll until `cond` holds or the deadline passes. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
