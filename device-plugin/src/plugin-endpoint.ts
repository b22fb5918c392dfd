/**
 * One device-plugin gRPC server for one resource, on its own unix socket in the
 * device-plugin directory: serve first, then Register with the kubelet (which calls
 * GetDevicePluginOptions back while Register is still pending).
 */
import * as grpc from '@grpc/grpc-js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AllocationService } from './allocation-service.js';
import { PluginError } from './errors.js';
import {
  DEVICE_PLUGIN_VERSION,
  devicePluginProto,
  unary,
  unixTarget,
  type PbAllocateRequest,
  type PbDevicePluginOptions,
  type PbListAndWatchResponse,
  type PbPreferredAllocationRequest,
  type PbRegisterRequest,
} from './proto.js';
import { socketNameFor, type AdvertisedResource } from './resources.js';

export interface EndpointOptions {
  readonly resource: AdvertisedResource;
  readonly dir: string;
  readonly kubeletSocket: string;
  readonly service: AllocationService;
  readonly log: Logger;
}

export const PLUGIN_OPTIONS: PbDevicePluginOptions = { pre_start_required: false, get_preferred_allocation_available: true };

function grpcError(err: unknown): grpc.ServiceError {
  const message = err instanceof Error ? err.message : String(err);
  const code =
    err instanceof PluginError && (err.code === 'DP_ERR_BAD_REQUEST' || err.code === 'DP_ERR_UNKNOWN_DEVICE')
      ? grpc.status.INVALID_ARGUMENT
      : grpc.status.INTERNAL;
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

export class PluginEndpoint {
  readonly resource: AdvertisedResource;
  readonly socketName: string;
  readonly socketPath: string;
  private server: grpc.Server | null = null;
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, PbListAndWatchResponse>>();
  private registered = false;
  private lastList = '';

  constructor(private readonly opts: EndpointOptions) {
    this.resource = opts.resource;
    this.socketName = socketNameFor(opts.resource.resourceName);
    this.socketPath = path.join(opts.dir, this.socketName);
  }

  isRegistered(): boolean {
    return this.registered;
  }

  /** Number of open ListAndWatch streams (the kubelet keeps one). */
  watchers(): number {
    return this.streams.size;
  }

  async serve(): Promise<void> {
    await this.stop();
    await fs.rm(this.socketPath, { force: true });
    const server = new grpc.Server();
    const svc = this.opts.service;
    const resource = this.resource;
    const log = this.opts.log;
    server.addService(devicePluginProto().DevicePlugin.service, {
      GetDevicePluginOptions: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<PbDevicePluginOptions>) =>
        cb(null, PLUGIN_OPTIONS),
      ListAndWatch: (call: grpc.ServerWritableStream<unknown, PbListAndWatchResponse>) => {
        this.streams.add(call);
        const drop = (): void => {
          this.streams.delete(call);
        };
        call.on('cancelled', drop);
        call.on('close', drop);
        call.on('error', drop);
        call.write({ devices: svc.listDevices(resource) });
      },
      GetPreferredAllocation: (call: grpc.ServerUnaryCall<PbPreferredAllocationRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        svc.preferred(resource, call.request).then(
          (res) => cb(null, res),
          (err: unknown) => {
            log.warn({ err }, 'GetPreferredAllocation failed');
            cb(grpcError(err));
          },
        );
      },
      Allocate: (call: grpc.ServerUnaryCall<PbAllocateRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        svc.allocate(resource, call.request).then(
          (res) => cb(null, res),
          (err: unknown) => {
            log.warn({ err, resource: resource.resourceName }, 'Allocate rejected');
            cb(grpcError(err));
          },
        );
      },
      PreStartContainer: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(unixTarget(this.socketPath), grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
    this.server = server;
    this.lastList = JSON.stringify(svc.listDevices(resource));
  }

  /** Register with the kubelet; the server must already be serving. */
  async register(): Promise<void> {
    const { Registration } = devicePluginProto();
    const client = new Registration(unixTarget(this.opts.kubeletSocket), grpc.credentials.createInsecure());
    try {
      const req: PbRegisterRequest = {
        version: DEVICE_PLUGIN_VERSION,
        endpoint: this.socketName,
        resource_name: this.resource.resourceName,
        options: PLUGIN_OPTIONS,
      };
      await unary(client, 'Register', req, 15_000);
      this.registered = true;
    } catch (err) {
      this.registered = false;
      throw new PluginError('DP_ERR_REGISTER', `register ${this.resource.resourceName} at ${this.opts.kubeletSocket}: ${(err as Error).message}`, { cause: err });
    } finally {
      client.close();
    }
  }

  /** Send the full list to every watcher, if it changed (or always, with force). */
  publish(force = false): boolean {
    const devices = this.opts.service.listDevices(this.resource);
    const text = JSON.stringify(devices);
    if (!force && text === this.lastList) return false;
    this.lastList = text;
    for (const s of this.streams) s.write({ devices });
    return true;
  }

  async stop(): Promise<void> {
    this.registered = false;
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.tryShutdown(() => resolve());
      setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000).unref();
    });
  }
}
