import type { Command } from 'commander';
import { registerQuotaSimulation } from './simulate-quota.js';

export function registerSimulate(program: Command): void {
  const simulate = program
    .command('simulate')
    .description('(not yet implemented)')
    .action(() => {
      simulate.outputHelp();
    });
  registerQuotaSimulation(simulate);
}
