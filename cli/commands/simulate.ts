/**
 * `tessera simulate`: options only; the simulator (bench/openb/) is loaded when the command
 * runs, so other subcommands (agent, extender) do not pay for it at start-up.
 */
import type { Command } from 'commander';
import { registerQuotaSimulation } from './simulate-quota.js';
import { DEFAULT_NODES_FILE, DEFAULT_PODS_FILE } from '../../bench/openb/default-files.js';
import type { SimulateFlags } from './simulate-run.js';

export function registerSimulate(program: Command): void {
  const simulate = program
    .command('simulate')
    .description('replay an Alibaba openb node list and pod list through the placement engine (FGD ATC\'23 procedure)')
    .option('--nodes <file>', 'node list CSV (openb format: sn,cpu_milli,memory_mib,gpu,model)', DEFAULT_NODES_FILE)
    .option('--pods <file>', 'pod list CSV (openb format: name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,…])', DEFAULT_PODS_FILE)
    .option('--policy <names>', 'comma-separated: tessera, tessera-notopo, random, dotprod, clustering, packing, bestfit, fgd; offline references ffd, fgd-decreasing', 'tessera')
    .option('--seed <seeds>', 'comma-separated seeds or ranges (42-51)', '42')
    .option('--tune <x>', 'inflate the workload to x × GPU capacity', '1.3')
    .option('--topology <mode>', 'none (as FGD) or overlay (synthetic NVLink/PCIe layouts by GPU model)', 'none')
    .option('--json', 'print one JSON object per run (JSON Lines), nothing else')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--no-progress', 'no progress bar')
    .option('--threads <n>', 'worker threads (default: cores + 1, at most one per run)')
    .option('--replicate <k>', 'generated cluster: the node list repeated k times (e.g. 4 for openb ×4)', '1')
    .action(async (flags: SimulateFlags) => {
      const { runSimulateCommand } = await import('./simulate-run.js');
      await runSimulateCommand(flags);
    });
  registerQuotaSimulation(simulate);
}
