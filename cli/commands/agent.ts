import type { Command } from 'commander';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('(not yet implemented)')
    .action(() => {
      program.outputHelp();
    });
}
