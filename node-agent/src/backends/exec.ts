/** Runs a vendor tool with a timeout and returns its stdout; errors name the command. */
import { execFile } from 'node:child_process';

export class ToolError extends Error {
  readonly code = 'AGENT_ERR_TOOL';
  readonly missing: boolean;
  constructor(message: string, missing: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolError';
    this.missing = missing;
  }
}

export type ToolRunner = (file: string, args: readonly string[]) => Promise<string>;

export function execTool(timeoutMs = 15_000): ToolRunner {
  return (file, args) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          const detail = missing ? 'not found' : `${err.message.split('\n')[0]}${stderr ? `: ${stderr.trim().slice(0, 200)}` : ''}`;
          reject(new ToolError(`${file} ${args.join(' ')}: ${detail}`, missing, { cause: err }));
          return;
        }
        resolve(stdout);
      });
    });
}
