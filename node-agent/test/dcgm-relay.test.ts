import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { relabelExposition } from '../src/dcgm-relay.js';
import { AgentMetrics } from '../src/metrics.js';

const promFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dcgm-exporter', 'datadog-tesla-t4-metrics.prom');
const T4 = 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('dcgm-exporter relay', () => {
  it('rewrites Hostname to the node name and adds tessera_health for known GPUs (real dcgm-exporter scrape)', () => {
    const text = readFileSync(promFile, 'utf8');
    const { text: out, dropped } = relabelExposition(text, { hostname: 'gpu-node-7', healthOf: (u) => (u === T4 ? 'unhealthy' : undefined) });
    expect(dropped).toBe(0);
    const temp = out.split('\n').find((l) => l.startsWith('DCGM_FI_DEV_GPU_TEMP{'));
    expect(temp).toBe(`DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="${T4}",device="nvidia0",modelName="Tesla T4",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="460.106.00",DCGM_FI_PROCESS_NAME="/usr/bin/dcgm-exporter",tessera_health="unhealthy"} 25`);
    // Same number of samples and comments as the input.
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(out).not.toContain('424773df46e0');
  });

  it('drops malformed lines instead of failing the scrape', () => {
    const r = relabelExposition('good{a="1"} 2\n{broken\nplain 3', { hostname: 'n', healthOf: () => undefined });
    expect(r.dropped).toBe(1);
    expect(r.text).toBe('good{a="1",Hostname="n"} 2\nplain{Hostname="n"} 3');
  });

  it('the agent /metrics text carries the relayed samples instead of its own DCGM gauges', async () => {
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(promFile)));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const metrics = new AgentMetrics({
      hostname: 'n1',
      discovery: () => ({ vendor: 'nvidia', devices: [{ id: T4, index: 0, vendor: 'nvidia', model: 'Tesla T4', memoryMiB: 15360, computeMilli: 1000, numa: null, health: 'healthy' }], topology: { kind: 'none' }, reasons: {}, telemetry: [{ id: T4, utilPct: 99 }], events: [], warnings: [] }),
      health: () => ({ state: 'healthy', reason: '', sinceMs: 0, goodPolls: 0, lastXid: 0, xidCount: 0 }),
      shares: () => [],
      registered: () => true,
      allocations: () => ({ decision: 0, fallback: 0, rejected: 0 }),
      dcgmExporterUrl: url,
    });
    const text = await metrics.text();
    const utilLines = text.split('\n').filter((l) => l.startsWith('DCGM_FI_DEV_GPU_UTIL{'));
    // Only the relayed sample (value 0 in the capture), not our own reading of 99.
    expect(utilLines).toHaveLength(1);
    expect(utilLines[0]).toMatch(/Hostname="n1".*tessera_health="healthy"\} 0$/);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const failed = await metrics.text();
    expect(failed).toContain('# dcgm-exporter relay failed');
    expect(failed).toContain('tessera_agent_dcgm_relay_errors_total 1');
  });
});
