/** Public surface of the scheduler extender package (for the CLI, bench, manifests and e2e). */
export { managedResources, type ManagedResource } from './resources.js';
export { createService, type Service, type ServiceOptions } from './service.js';
export { buildServer } from './server.js';
export { buildWebhookServer, selfSignedTls } from './webhook-server.js';
export { runExtender, type ExtenderConfig, type RunningExtender } from './main.js';
export { MemoryCluster } from './memory-cluster.js';
export { KubeClient, loadKubeConnection } from './kube-client.js';
export type { KubeAccess, ClusterSource, Binder, PodPatcher, CustomResources, AuthReviewer, LeaseStore } from './kube.js';
export { translatePod } from './translate.js';
export { TESSERA_SCHEDULER } from './webhook.js';
