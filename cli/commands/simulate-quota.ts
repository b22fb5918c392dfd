import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { QuotaBenchReport } from '../../bench/philly/run.js';
import { SHARED_TRACES } from '../../bench/shared-dir.js';

const TRACES = SHARED_TRACES;

function probability(text: string): number {
  const x = Number(text);
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError(`expected a share between 0 and 1, got '${text}'`);
  return x;
}

function scale(text: string): number {
  const x = Number(text);
  if (!(x >= 1 && Number.isFinite(x))) throw new InvalidArgumentError(`expected a factor >= 1, got '${text}'`);
  return x;
}

function integer(text: string): number {
  const x = Number(text);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`expected a whole number, got '${text}'`);
  return x;
}

function printTable(r: QuotaBenchReport): void {
  const lines = [
    `mode ${r.mode}: ${r.jobs} jobs, avg queueing delay ${r.avgQueueDelaySec} s (p95 ${r.p95QueueDelaySec} s), avg JCT ${r.avgJctSec} s, utilisation ${r.utilizationPct} %, preemptions ${r.preemptions}`,
  ];
  if (r.fixedBaseline !== undefined) {
    lines.push(`fixed baseline: avg queueing delay ${r.fixedBaseline.avgQueueDelaySec} s; reduction ${r.queueDelayReduction}x`);
    lines.push(`sharing-safety violations: ${r.sharingSafetyViolations?.length ? r.sharingSafetyViolations.join(', ') : 'none'}`);
    const f = r.finishTimeFairness;
    if (f !== undefined) lines.push(`finish-time fairness: max rho ${f.maxRho}, median rho ${f.medianRho}, Jain(per-VC avg rho) ${f.jainIndexPerVcAvgRho}`);
  }
  lines.push('VC        jobs   avgQueue(s)   p95Queue(s)    avgJCT(s)' + (r.fixedBaseline ? '  fixedQueue(s)' : ''));
  for (const [vc, v] of Object.entries(r.perVc)) {
    const base = r.fixedBaseline?.perVc[vc]?.avgQueueDelaySec;
    lines.push(
      `${vc.padEnd(8)} ${String(v.jobs).padStart(5)} ${String(v.avgQueueDelaySec).padStart(13)} ${String(v.p95QueueDelaySec).padStart(13)} ${String(v.avgJctSec).padStart(12)}` +
        (base === undefined ? '' : String(base).padStart(15)),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerQuotaSimulation(simulate: Command): void {
  simulate
    .command('quota')
    .description('replay the Philly trace through the quota engine: fixed (private VCs) vs elastic (borrowing + reclaim) quotas')
    .option('--jobs <file>', 'Philly job CSV (Pollux extract)', join(TRACES, 'philly', 'philly.csv'))
    .option('--vcs <file>', 'VC sizes CSV (vc,node num)', join(TRACES, 'philly', 'philly_vc.csv'))
    .addOption(new Option('--mode <mode>', 'quota mode').choices(['fixed', 'elastic']).default('elastic'))
    .option('--priority', 'give a seeded share of jobs a higher priority (queue first, may preempt lower priority)', false)
    .option('--high-share <p>', 'share of high-priority jobs with --priority', probability, 0.2)
    .option('--priority-seed <n>', 'seed of the priority draw', integer, 1)
    .option('--from <date>', 'first submit date (inclusive, YYYY-MM-DD)', '2017-10-01')
    .option('--to <date>', 'last submit date (inclusive, YYYY-MM-DD)', '2017-11-30')
    .option('--drop-unknown-vcs', 'skip jobs of VCs missing from the VC file (default: stop with an error)', false)
    .addOption(new Option('--restart <what>', 'what a preempted job keeps').choices(['keep', 'lose']).default('keep'))
    .option('--arrival-scale <k>', 'compress submit times k× (offered load × k; 1 = the trace as is)', scale, 1)
    .option('--json', 'print the JSON report', false)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const { runQuotaBench } = await import('../../bench/philly/run.js');
      // `tessera simulate` has its own --json; commander gives a flag to the parent when both declare it.
      const json = o.json === true || cmd.parent?.opts().json === true;
      const t0 = process.hrtime.bigint();
      const report = runQuotaBench({
        jobsFile: String(o.jobs),
        vcsFile: String(o.vcs),
        mode: o.mode === 'fixed' ? 'fixed' : 'elastic',
        priority: o.priority === true,
        highPriorityShare: Number(o.highShare),
        seed: Number(o.prioritySeed),
        from: String(o.from),
        to: String(o.to),
        dropUnknownVcs: o.dropUnknownVcs === true,
        restart: o.restart === 'lose' ? 'lose' : 'keep',
        arrivalScale: Number(o.arrivalScale),
      });
      const runtimeSec = Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100;
      if (json) process.stdout.write(`${JSON.stringify({ ...report, runtimeSec }, null, 2)}\n`);
      else printTable(report);
    });
}
