/**
 * The `tessera` command line. Each subcommand lives in cli/commands/<name>.ts and
 * registers itself on the program; this file only wires them together.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tessera')
    .description('GPU/NPU scheduler extender, device-sharing node agent and trace simulator for Kubernetes')
    .version('0.1.0')
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

const invokedDirectly = process.argv[1] !== undefined && /cli[\\/]main\.[tj]s$/.test(process.argv[1]);
if (invokedDirectly) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`tessera: ${message}\n`);
      process.exitCode = 1;
    });
}
