/**
 * Regenerate bench/data/openb/fgd-published-means.json from the FGD artifact CSVs:
 *   npx tsx bench/openb/make-published.ts [<shared>/traces/fgd-atc23-expected-results]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_SUMMARY_FILE, summariseArtifact } from './published.js';
import { SHARED_TRACES } from '../shared-dir.js';

const dir = process.argv[2] ?? join(SHARED_TRACES, 'fgd-atc23-expected-results');
const summary = summariseArtifact(dir);
writeFileSync(PUBLISHED_SUMMARY_FILE, JSON.stringify(summary) + '\n');
process.stdout.write(`wrote ${PUBLISHED_SUMMARY_FILE}: ${Object.keys(summary).length} workloads\n`);
