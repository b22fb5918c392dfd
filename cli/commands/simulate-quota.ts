import type { Command } from 'commander';

export function registerQuotaSimulation(simulate: Command): void {
  simulate
    .command('quota')
    .description('(not yet implemented)')
    .action(() => {
      simulate.outputHelp();
    });
}
