/**
 * Regenerate bench/data/openb/fgd-published-means.json from the FGD artifact CSVs:
 *   npx tsx bench/openb/make-published.ts [/work/shared/traces/fgd-atc23-expected-results]
 */
import { writeFileSync } from 'node:fs';
import { PUBLISHED_SUMMARY_FILE, summariseArtifact } from './published.js';

const dir = process.argv[2] ?? '/work/shared/traces/fgd-atc23-expected-results';
const summary = summariseArtifact(dir);
writeFileSync(PUBLISHED_SUMMARY_FILE, JSON.stringify(summary) + '\n');
process.stdout.write(`wrote ${PUBLISHED_SUMMARY_FILE}: ${Object.keys(summary).length} workloads\n`);
