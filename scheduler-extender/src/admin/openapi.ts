/** The OpenAPI 3.1 document of the admin API, assembled from the TypeBox schemas. */
import { Pool, Queue, Tenant } from '../crd.js';
import { DeviceShareView, DeviceView, ErrorBody, GpuAmount, NodeView, PendingView, PodRef, PreemptionView, QueueUsage, WhyView } from './schemas.js';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description = 'OK'): object => ({ description, content: { 'application/json': { schema } } });
const list = (name: string): object => ({ type: 'object', properties: { items: { type: 'array', items: ref(name) } }, required: ['items'] });
const errors = { '400': json(ref('Error'), 'invalid input'), '401': json(ref('Error'), 'no or bad token'), '403': json(ref('Error'), 'RBAC denied'), '404': json(ref('Error'), 'not found') };

/** Strip TypeBox's `$id` so components inline cleanly (refs are by component name). */
function component(schema: object): object {
  return JSON.parse(JSON.stringify(schema, (k, v) => (k === '$id' ? undefined : v))) as object;
}

export function buildOpenApi(): object {
  const paths: Record<string, object> = {};
  for (const [kind, name] of [['pools', 'Pool'], ['tenants', 'Tenant'], ['queues', 'Queue']] as const) {
    paths[`/api/v1/${kind}`] = {
      get: { summary: `List ${kind} (tenant data filtered to the caller's tenants)`, responses: { '200': json(list(name)), ...errors } },
      post: { summary: `Create a ${name} (RBAC create ${kind}.tessera.io)`, requestBody: { content: { 'application/json': { schema: ref(name) } } }, responses: { '201': json(ref(name), 'created'), '409': json(ref('Error'), 'exists'), ...errors } },
    };
    paths[`/api/v1/${kind}/{name}`] = {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: `Get a ${name}`, responses: { '200': json(ref(name)), ...errors } },
      put: { summary: `Replace a ${name} (RBAC update)`, requestBody: { content: { 'application/json': { schema: ref(name) } } }, responses: { '200': json(ref(name)), ...errors } },
      delete: { summary: `Delete a ${name} (RBAC delete)`, responses: { '204': { description: 'deleted' }, ...errors } },
    };
  }
  paths['/api/v1/usage'] = { get: { summary: 'Per queue: guarantee, limit, used, borrowed, lent (GPU equivalents, MiB)', responses: { '200': json({ type: 'object', properties: { queues: { type: 'array', items: ref('QueueUsage') }, problem: { type: ['string', 'null'] } } }), ...errors } } };
  paths['/api/v1/nodes'] = { get: { summary: 'Node and device occupancy with per-device shares, pods and interconnect group', responses: { '200': json(list('Node')), ...errors } } };
  paths['/api/v1/nodes/{name}'] = { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], get: { summary: 'One node', responses: { '200': json(ref('Node')), ...errors } } };
  paths['/api/v1/pending'] = { get: { summary: 'Pods waiting for accelerators, with the reason of their last filter', responses: { '200': json(list('PendingPod')), ...errors } } };
  paths['/api/v1/pods/{namespace}/{name}/why'] = {
    parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    get: { summary: 'Why a pod is (not) placed: quota, fit on every node, topology', responses: { '200': json(ref('Why')), ...errors } },
  };
  paths['/api/v1/preemptions'] = { get: { summary: 'Recent preemptions and reclaims the extender approved (newest first)', responses: { '200': json(list('Preemption')), ...errors } } };
  return {
    openapi: '3.1.0',
    info: { title: 'Tessera admin API', version: 'v1', description: 'Pools, tenants, queues, usage, occupancy and explanations. Authorization: Bearer <Kubernetes token>.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(
        Object.entries({ Error: ErrorBody, GpuAmount, QueueUsage, PodRef, DeviceShare: DeviceShareView, Device: DeviceView, Node: NodeView, PendingPod: PendingView, Why: WhyView, Preemption: PreemptionView, Pool, Tenant, Queue }).map(([k, v]) => [k, component(v)]),
      ),
    },
    security: [{ bearer: [] }],
    paths,
  };
}
