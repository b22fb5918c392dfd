import type { Command } from 'commander';

export function registerExtender(program: Command): void {
  program
    .command('extender')
    .description('(not yet implemented)')
    .action(() => {
      program.outputHelp();
    });
}
