/**
 * Where the project's shared/ folder (public traces, real tool-output fixtures) is:
 * `$TESSERA_SHARED`, else `shared/` beside the repository checkout (as on the development
 * machines and in CI). `$TESSERA_TRACES` / `$TESSERA_FIXTURES` override the two subfolders.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED_DIR = process.env.TESSERA_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
export const SHARED_TRACES = process.env.TESSERA_TRACES ?? join(SHARED_DIR, 'traces');
export const SHARED_FIXTURES = process.env.TESSERA_FIXTURES ?? join(SHARED_DIR, 'fixtures');
