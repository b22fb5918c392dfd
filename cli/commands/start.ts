/**
 * `npm start` / `tessera start`: the main job. Replays the bundled Alibaba openb default
 * workload on the openb GPU node list with our production policy beside the BestFit and FGD
 * baselines (seed 42), prints the comparison table and writes the HTML report.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_NODES_FILE, DEFAULT_PODS_FILE } from '../../bench/openb/default-files.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('replay the bundled openb trace with tessera, bestfit and fgd (seed 42) and write tessera-report.html')
    .option('--report <file>', 'where to write the HTML report', 'tessera-report.html')
    .option('--seed <n>', 'seed', '42')
    .action(async (flags: { report: string; seed: string }) => {
      const out = (text: string): void => {
        process.stdout.write(text + '\n');
      };
      const [{ parseSeeds }, { executeSimulation }] = await Promise.all([import('../../bench/openb/driver.js'), import('./simulate-run.js')]);
      const reportFile = resolve(flags.report);
      out('Tessera: replaying the Alibaba openb default trace (1213 GPU nodes, 6212 GPUs) with FGD\'s procedure.');
      await executeSimulation({
        nodesFile: DEFAULT_NODES_FILE,
        podsFile: DEFAULT_PODS_FILE,
        policies: ['tessera', 'bestfit', 'fgd'],
        seeds: parseSeeds(flags.seed),
        tune: 1.3,
        topology: 'none',
        json: false,
        reportFile,
        progress: true,
        out,
      });
    });
}
