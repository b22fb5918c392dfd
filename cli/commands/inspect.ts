import type { Command } from 'commander';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('(not yet implemented)')
    .action(() => {
      program.outputHelp();
    });
}
