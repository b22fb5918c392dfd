/**
 * Regenerate the parser golden files on purpose: `npx tsx test/golden/regenerate.ts`.
 * Review the diff (`git diff test/golden/parsers`) before committing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fixtureCases, GOLDEN_DIR, goldenJson, goldenOf, goldenPath } from './parser-cases.js';

mkdirSync(GOLDEN_DIR, { recursive: true });
let changed = 0;
for (const c of fixtureCases()) {
  if (c.kind === null) {
    if (c.why === 'UNCLASSIFIED') process.stderr.write(`warning: ${c.fixture} matches no rule in parser-cases.ts\n`);
    continue;
  }
  const path = goldenPath(c.fixture);
  const text = goldenJson(goldenOf(c.kind, c.fixture));
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (before !== text) {
    writeFileSync(path, text);
    changed++;
    process.stdout.write(`${before === null ? 'created' : 'updated'} ${relative(process.cwd(), path)}\n`);
  }
}
process.stdout.write(`${changed} golden file(s) changed\n`);
