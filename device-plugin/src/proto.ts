/**
 * Loads the kubelet device-plugin (v1beta1) and pod-resources (v1) protos with
 * @grpc/proto-loader (keepCase: field names stay exactly as on the wire, e.g. `ID`,
 * `available_deviceIDs`) and gives typed message shapes for the adapters.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const protoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

export const DEVICE_PLUGIN_VERSION = 'v1beta1';
export const KUBELET_SOCKET_NAME = 'kubelet.sock';
export const DEFAULT_DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins/';
export const DEFAULT_POD_RESOURCES_SOCKET = '/var/lib/kubelet/pod-resources/kubelet.sock';
export const HEALTHY = 'Healthy';
export const UNHEALTHY = 'Unhealthy';

const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface PbDevicePluginOptions {
  pre_start_required: boolean;
  get_preferred_allocation_available: boolean;
}
export interface PbRegisterRequest {
  version: string;
  endpoint: string;
  resource_name: string;
  options?: PbDevicePluginOptions | null;
}
export interface PbDevice {
  ID: string;
  health: string;
  topology?: { nodes: { ID: number }[] } | null;
}
export interface PbListAndWatchResponse {
  devices: PbDevice[];
}
export interface PbContainerPreferredAllocationRequest {
  available_deviceIDs: string[];
  must_include_deviceIDs: string[];
  allocation_size: number;
}
export interface PbPreferredAllocationRequest {
  container_requests: PbContainerPreferredAllocationRequest[];
}
export interface PbPreferredAllocationResponse {
  container_responses: { deviceIDs: string[] }[];
}
export interface PbAllocateRequest {
  container_requests: { devices_ids: string[] }[];
}
export interface PbContainerAllocateResponse {
  envs: Record<string, string>;
  mounts: { container_path: string; host_path: string; read_only: boolean }[];
  devices: { container_path: string; host_path: string; permissions: string }[];
  annotations: Record<string, string>;
  cdi_devices: { name: string }[];
}
export interface PbAllocateResponse {
  container_responses: PbContainerAllocateResponse[];
}
export interface PbPreStartContainerRequest {
  devices_ids: string[];
}
export interface PbContainerDevices {
  resource_name: string;
  device_ids: string[];
}
export interface PbPodResources {
  name: string;
  namespace: string;
  containers: { name: string; devices: PbContainerDevices[] }[];
}
export interface PbListPodResourcesResponse {
  pod_resources: PbPodResources[];
}

interface ServiceCtor {
  service: grpc.ServiceDefinition;
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions): grpc.Client;
}

export interface DevicePluginProto {
  Registration: ServiceCtor;
  DevicePlugin: ServiceCtor;
}
export interface PodResourcesProto {
  PodResourcesLister: ServiceCtor;
}

let devicePluginCache: DevicePluginProto | undefined;
let podResourcesCache: PodResourcesProto | undefined;

function loadPackage(file: string, pkg: string): Record<string, unknown> {
  const def = protoLoader.loadSync(path.join(protoRoot, file), loaderOptions);
  const loaded = grpc.loadPackageDefinition(def) as Record<string, unknown>;
  const ns = loaded[pkg];
  if (ns === undefined || typeof ns !== 'object') throw new Error(`proto ${file}: package ${pkg} not found`);
  return ns as Record<string, unknown>;
}

export function devicePluginProto(): DevicePluginProto {
  devicePluginCache ??= loadPackage('deviceplugin/v1beta1/api.proto', 'v1beta1') as unknown as DevicePluginProto;
  return devicePluginCache;
}

export function podResourcesProto(): PodResourcesProto {
  podResourcesCache ??= loadPackage('podresources/v1/api.proto', 'v1') as unknown as PodResourcesProto;
  return podResourcesCache;
}

/** `unix:///abs/path` target for grpc-js from a socket file path. */
export function unixTarget(socketPath: string): string {
  return `unix://${path.resolve(socketPath)}`;
}

/** Promise wrapper for a unary call on a dynamically loaded client. */
export function unary<Req, Res>(client: grpc.Client, method: string, req: Req, deadlineMs = 10_000): Promise<Res> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') return Promise.reject(new Error(`grpc client has no method ${method}`));
  return new Promise<Res>((resolve, reject) => {
    (fn as (r: Req, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: Res) => void) => void).call(
      client,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err, value) => (err ? reject(err) : resolve(value)),
    );
  });
}
