/** `tessera extender` wiring (runExtender on loopback) and `tessera admin …` against it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../cli/main.js';
import { MemoryCluster } from '../src/memory-cluster.js';
import { runExtender, type RunningExtender } from '../src/main.js';
import { cacheArgs, gpuInventory, kubeNode, kubePod, silent } from './helpers.js';

let running: RunningExtender | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
  vi.restoreAllMocks();
});

async function tessera(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'tessera', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

describe('tessera extender + admin', () => {
  it('serves verbs, webhook and admin API; the admin CLI prints usage and why', async () => {
    const kube = new MemoryCluster({ tokens: { t: { username: 'root', groups: [] } }, clusterAdmins: ['root'] });
    kube.put('nodes', kubeNode('n1', gpuInventory('n1', 4), { 'tessera.io/pool': 'training' }));
    kube.put('pools', { metadata: { name: 'training' }, spec: { mode: 'elastic', nodeSelector: { matchLabels: { 'tessera.io/pool': 'training' } } } });
    kube.put('tenants', { metadata: { name: 'vision' }, spec: { namespaces: ['ml'], defaultQueue: 'vq' } });
    kube.put('queues', { metadata: { name: 'vq' }, spec: { tenant: 'vision', pool: 'training', guarantee: { gpu: '2.5' } } });
    running = await runExtender(
      { kube, listen: '127.0.0.1:0', webhookListen: '127.0.0.1:0', leaderElect: true, leaseNamespace: 'tessera-system', leaseName: 'ext', reservationTtlMs: 30_000, verbPrefix: '/scheduler', logLevel: 'silent' },
      silent,
    );
    expect(running.webhookAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // Leader election runs in the background: wait for the lease with a deadline.
    const deadline = Date.now() + 5_000;
    while (!running.service.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running.service.isLeader()).toBe(true);
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '2' } });
    kube.put('pods', pod);
    const post = (path: string, body: unknown) => fetch(`${running!.address}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    expect((await post('/scheduler/filter', cacheArgs(pod, ['n1']))).NodeNames).toEqual(['n1']);
    expect(await post('/scheduler/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: 'n1' })).toEqual({ Error: '' });

    const usage = await tessera(['admin', '--server', running.address, '--token', 't', 'usage']);
    expect(usage).toMatch(/^QUEUE\s+TENANT\s+POOL\s+GUARANTEE/m);
    expect(usage).toMatch(/^vq\s+vision\s+training\s+2\.5\s+2\.5\s+2\s+0\s+0\s+1\s+0$/m);
    const why = await tessera(['admin', '--server', running.address, '--token', 't', 'why', 'ml/p']);
    expect(why).toMatch(/pod ml\/p: bound on n1/);
    expect(why).toMatch(/asks for: main: 2 × nvidia whole/);
    const queues = JSON.parse(await tessera(['admin', '--server', running.address, '--token', 't', '--json', 'queues']));
    expect(queues.items[0].metadata.name).toBe('vq');
  });

  it('fails fast on a bad listen address', async () => {
    await expect(runExtender({ kube: new MemoryCluster(), listen: 'nonsense', leaderElect: false, leaseNamespace: 'x', leaseName: 'y', reservationTtlMs: 1, verbPrefix: '', logLevel: 'silent' }, silent)).rejects.toThrow(/--listen: expected host:port/);
  });
});

describe('tessera extender --https', () => {
  it('serves the verbs over HTTPS with the same certificate as the webhook', async () => {
    const { request } = await import('node:https');
    const { X509Certificate } = await import('node:crypto');
    const { TLSSocket } = await import('node:tls');
    const kube = new MemoryCluster({ tokens: {}, clusterAdmins: [] });
    kube.put('nodes', kubeNode('n1', gpuInventory('n1', 2), {}));
    running = await runExtender(
      { kube, listen: '127.0.0.1:0', webhookListen: '127.0.0.1:0', https: true, leaderElect: false, leaseNamespace: 'tessera-system', leaseName: 'ext', reservationTtlMs: 30_000, verbPrefix: '/scheduler', logLevel: 'silent' },
      silent,
    );
    expect(running.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '1' } });
    kube.put('pods', pod);
    // POST /scheduler/filter over TLS; record the certificate each listener presents
    const call = (base: string, path: string, body?: unknown) =>
      new Promise<{ status: number; json: any; cert: string }>((resolve, reject) => {
        const url = new URL(path, base);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: body === undefined ? 'GET' : 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
          (res) => {
            const sock = res.socket as InstanceType<typeof TLSSocket>;
            const raw = sock.getPeerCertificate().raw;
            let data = '';
            res.on('data', (c) => (data += String(c)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data.startsWith('{') ? JSON.parse(data) : data, cert: new X509Certificate(raw).fingerprint256 }));
          },
        );
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    const filter = await call(running.address, '/scheduler/filter', cacheArgs(pod, ['n1']));
    expect(filter.status).toBe(200);
    expect(filter.json.NodeNames).toEqual(['n1']);
    const hook = await call(running.webhookAddress!, '/healthz');
    expect(hook.cert).toBe(filter.cert);
  });
});
