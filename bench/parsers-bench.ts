/**
 * Micro-benchmark of the tool-output parsers on the real fixtures (what the node agent
 * pays per inventory refresh).
 *
 *   npx tsx bench/parsers-bench.ts [--iterations 2000]
 *
 * Prints one JSON line per input: input bytes, mean microseconds per parse (wall) and
 * CPU microseconds per parse (process.cpuUsage, robust to a busy machine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpuSmiInfo, parseNpuSmiTopo, parseNvidiaSmiCsv, parseNvidiaSmiXml, parseNvidiaTopo } from '../core/index.js';

const F = join(import.meta.dirname, '..', 'test', 'golden', 'fixtures');
const argAt = process.argv.indexOf('--iterations');
const iterations = argAt === -1 ? 2000 : Number(process.argv[argAt + 1]);
if (!Number.isInteger(iterations) || iterations < 1) {
  process.stderr.write('--iterations: expected a positive integer\n');
  process.exit(2);
}

const cases: [string, (t: string) => unknown, string][] = [
  ['nvidia-smi -q -x A100 (MIG)', parseNvidiaSmiXml, 'nvidia-smi/xml/a100-sxm4-v12.xml'],
  ['nvidia-smi topo -m 8x H100', parseNvidiaTopo, 'nvidia-smi/topo/dgx-h100-8x-nv18.topo-m.txt'],
  ['nvidia-smi --query-gpu 212 fields', (t) => parseNvidiaSmiCsv(t), 'nvidia-smi/captures/extracted/linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.query-gpu-idle.csv'],
  ['npu-smi info 8x 910A', parseNpuSmiInfo, 'ascend/npu-smi/ai-server_atlas-800-training-server_model-9010_version-6.0.RC1.txt'],
  ['npu-smi info -t topo 8x 910B', parseNpuSmiTopo, 'ascend/npu-smi/SYNTHESIZED_910b-8x-hccs_topo.txt'],
];

for (const [name, parse, file] of cases) {
  const text = readFileSync(join(F, file), 'utf8');
  for (let i = 0; i < Math.min(200, iterations); i++) parse(text); // warm up the JIT
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) parse(text);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / iterations;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / iterations;
  process.stdout.write(
    `${JSON.stringify({ name, bytes: Buffer.byteLength(text), iterations, wallMicrosPerParse: Math.round(wallUs), cpuMicrosPerParse: Math.round(cpuUs) })}\n`,
  );
}
