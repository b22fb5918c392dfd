/**
 * Node agent budget benchmark.
 *
 *   npm run bench:agent -- --json [--window-s 30] [--allocations 400]
 *
 * 1. Idle cost: starts `tessera agent --backend fixture` (8 × A100 fixture, 4 slots per GPU,
 *    10 s polls) as a child process against a test kubelet served by this process over a
 *    unix socket, waits until it is registered (/readyz), lets it settle, then samples the
 *    child's CPU time (/proc/<pid>/stat utime+stime) over the window and its RSS
 *    (/proc/<pid>/status VmRSS) at the end. The child runs the code as it would ship in an
 *    image: the TypeScript sources transpiled to JavaScript (typescript's transpileModule,
 *    into a temp dir) and run with plain `node`. `--tsx` runs it through tsx instead
 *    (development mode; tsx's loader thread adds about 40 MB of RSS).
 * 2. Allocate latency: in this process, the device plugin for the same 8 GPUs with pods
 *    carrying decisions; the test kubelet calls Allocate over a real unix socket for each
 *    pod (decision match + checkpoint fsync + answer), timing each call; p50 / p99.
 *
 * Prints `{"cpuPct","rssMb","allocateP99Ms",…}` with --json, a short report otherwise.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { AllocationService } from '../device-plugin/src/allocation-service.js';
import { Checkpoint } from '../device-plugin/src/checkpoint.js';
import { MemoryPodSource } from '../device-plugin/src/pod-source.js';
import { PluginManager } from '../device-plugin/src/plugin-manager.js';
import { planResources } from '../device-plugin/src/resources.js';
import { eventually, FakeKubelet } from '../device-plugin/test/fake-kubelet.js';
import { FixtureBackend } from '../node-agent/src/backends/fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const argNum = (name: string, def: number): number => {
  const at = args.indexOf(name);
  const v = at >= 0 ? Number(args[at + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a positive number`);
  return v;
};
const windowS = argNum('--window-s', 30);
const viaTsx = args.includes('--tsx');
const allocations = argNum('--allocations', 400);
const fixtureDir = path.join(root, 'node-agent', 'fixtures', 'dgx-a100-8x');
const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}
/** Transpile the TypeScript sources the agent needs into `out` (same tree, .js), as an image build would. */
async function transpile(out: string): Promise<string> {
  const ts = (await import('typescript')).default;
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'test', 'data', 'golden', 'fixtures'].includes(e.name)) walk(rel);
        continue;
      }
      if (!e.name.endsWith('.ts') || e.name.endsWith('.test.ts') || e.name.endsWith('.d.ts')) continue;
      const js = ts.transpileModule(readFileSync(path.join(root, rel), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, js);
    }
  };
  for (const d of ['core', 'node-agent', 'device-plugin', 'cli', 'bench', 'scheduler-extender']) if (existsSync(path.join(root, d))) walk(d);
  cpSync(path.join(root, 'proto'), path.join(out, 'proto'), { recursive: true });
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function idle(tmp: string): Promise<{ cpuPct: number; rssMb: number }> {
  const dp = path.join(tmp, 'idle-dp');
  mkdirSync(dp, { recursive: true });
  const kubelet = new FakeKubelet(dp, path.join(tmp, 'idle-pr'));
  await kubelet.start();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const entry = viaTsx ? ['--import', 'tsx', path.join(root, 'cli', 'main.ts')] : [path.join(await transpile(path.join(tmp, 'js')), 'cli', 'main.js')];
  const child = spawn(
    process.execPath,
    [...entry, 'agent', '--backend', 'fixture', '--fixture-dir', fixtureDir, '--device-plugin-dir', dp, '--pod-resources-socket', kubelet.podResourcesPath, '--state-dir', path.join(tmp, 'idle-state'), '--metrics-listen', `127.0.0.1:${port}`, '--node-name', 'bench-node', '--log-level', 'warn'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('agent did not start');
    await eventually(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, 'agent ready', 60_000);
    await eventually(() => kubelet.devices('nvidia.com/gpu').length === 32, 'device list', 10_000);
    await sleep(5000);
    const t0 = cpuTicks(pid);
    const w0 = process.hrtime.bigint();
    await sleep(windowS * 1000);
    const t1 = cpuTicks(pid);
    const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
    return { cpuPct: ((t1 - t0) / CLK_TCK / wallS) * 100, rssMb: rssMb(pid) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await kubelet.stop();
  }
}

async function allocateLatency(tmp: string): Promise<{ p50: number; p99: number; n: number }> {
  const dp = path.join(tmp, 'alloc-dp');
  mkdirSync(dp, { recursive: true });
  const kubelet = new FakeKubelet(dp, path.join(tmp, 'alloc-pr'));
  await kubelet.start();
  const d = await new FixtureBackend(fixtureDir).discover();
  const pods = new MemoryPodSource();
  const log = pino({ level: 'silent' });
  const service = new AllocationService({ nodeName: 'bench-node', pods, checkpoint: new Checkpoint(path.join(tmp, 'alloc-state')), log, nowMs: () => Date.now() });
  service.setDevices({ vendor: d.vendor, devices: d.devices, topology: d.topology });
  const manager = new PluginManager({ dir: dp, service, log });
  await manager.start(planResources({ vendor: 'nvidia', models: [], slotsPerDevice: 4, vnpuTemplates: [] }));
  const times: number[] = [];
  try {
    await eventually(() => kubelet.devices('nvidia.com/gpu').length === 32, 'device list');
    for (let n = 0; n < allocations; n++) {
      const g = n % 8;
      const dev = d.devices[g]!;
      const uid = `bench-${n}`;
      pods.upsert({
        uid,
        namespace: 'bench',
        name: uid,
        phase: 'Pending',
        annotations: {
          'tessera.io/decision': JSON.stringify({ version: 1, podUid: uid, namespace: 'bench', name: uid, node: 'bench-node', isolation: 'hami-core', decidedAtMs: n, containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: dev.id, index: dev.index, memoryMiB: 10240, computeMilli: 250, exclusive: false }] }] }),
        },
      });
      const t0 = process.hrtime.bigint();
      const res = await kubelet.allocate('nvidia.com/gpu', [`${dev.id}::${Math.floor(n / 8) % 4}`]);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (res.container_responses[0]?.envs['TESSERA_POD_UID'] !== uid) throw new Error(`allocate ${uid}: wrong pod served`);
      // Keep ~32 live pods on the node, like a full 8 × 4-slot node.
      if (n >= 32) pods.remove(`bench-${n - 32}`);
    }
  } finally {
    await manager.stop();
    await kubelet.stop();
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
  return { p50: q(0.5), p99: q(0.99), n: times.length };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'agent-bench-'));
try {
  const a = await allocateLatency(tmp);
  const i = await idle(tmp);
  const out = {
    cpuPct: Number(i.cpuPct.toFixed(3)),
    rssMb: Number(i.rssMb.toFixed(1)),
    allocateP99Ms: Number(a.p99.toFixed(3)),
    allocateP50Ms: Number(a.p50.toFixed(3)),
    allocations: a.n,
    windowS,
    node: '8 x A100 fixture, 4 slots per GPU, 10 s polls',
    mode: viaTsx ? 'tsx' : 'transpiled',
  };
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`idle agent: ${out.cpuPct} % of a core, ${out.rssMb} MB RSS; Allocate p50 ${out.allocateP50Ms} ms, p99 ${out.allocateP99Ms} ms over ${out.allocations} calls\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
