/**
 * `tessera inspect KIND FILE [--json]`: parse one real tool output and print the model
 * the node agent would build from it. FILE `-` reads stdin. Malformed input exits with
 * code 2 and the parser's message (which names the line) on stderr.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CoreError, formatInspectReport, INSPECT_KINDS, inspectToolOutput, isInspectKind } from '../../core/index.js';

export const INSPECT_EXIT_BAD_INPUT = 2;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** UTF-8, or UTF-16 LE when the bytes start with its BOM (PowerShell's `>` writes that). */
export function decodeToolOutput(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  return bytes.toString('utf8');
}

function fail(message: string): void {
  process.stderr.write(`tessera inspect: ${message}\n`);
  process.exitCode = INSPECT_EXIT_BAD_INPUT;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'parse a GPU/NPU tool output and print devices and topology. KIND: ' +
        `${INSPECT_KINDS.join(', ')}; FILE '-' reads stdin`,
    )
    .argument('<kind>', `one of ${INSPECT_KINDS.join(', ')}`)
    .argument('<file>', "the saved output of the command, or '-' for stdin")
    .option('--json', 'print the parsed model as JSON')
    .option('--fields <list>', 'nvidia-smi-csv made with noheader: the comma-separated --query-gpu field list')
    .action(async (kind: string, file: string, opts: { json?: boolean; fields?: string }) => {
      if (!isInspectKind(kind)) {
        fail(`unknown KIND '${kind}'; expected one of ${INSPECT_KINDS.join(', ')}`);
        return;
      }
      let text: string;
      try {
        text = decodeToolOutput(file === '-' ? await readStdin() : await readFile(file));
      } catch (err) {
        fail(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      try {
        const fields = opts.fields?.split(',').map((f) => f.trim()).filter((f) => f !== '');
        const report = inspectToolOutput(kind, text, fields ? { csvFields: fields } : {});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          process.stdout.write(formatInspectReport(report));
        }
      } catch (err) {
        if (err instanceof CoreError) {
          fail(err.message);
          return;
        }
        throw err;
      }
    });
}
