import type { Command } from 'commander';
import { registerStart } from './start.js';
import { registerSimulate } from './simulate.js';
import { registerInspect } from './inspect.js';
import { registerExtender } from './extender.js';
import { registerAgent } from './agent.js';
import { registerAdmin } from './admin.js';

export function registerCommands(program: Command): void {
  registerStart(program);
  registerSimulate(program);
  registerInspect(program);
  registerExtender(program);
  registerAgent(program);
  registerAdmin(program);
}
