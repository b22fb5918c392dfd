import type { Command } from 'commander';

export function registerAdmin(program: Command): void {
  program
    .command('admin')
    .description('(not yet implemented)')
    .action(() => {
      program.outputHelp();
    });
}
