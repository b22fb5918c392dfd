import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// core/ must stay pure: no I/O modules, no Kubernetes/HTTP/gRPC clients, no clock, no env.
const FORBIDDEN_IMPORT = /from\s+['"](node:)?(fs|fs\/promises|http|https|http2|net|child_process|dgram|tls|os|process|timers|worker_threads)['"]|from\s+['"](@kubernetes\/client-node|@grpc\/[^'"]+|fastify|prom-client|pino|cli-progress|commander)['"]/;
const FORBIDDEN_CALL = /\b(Date\.now|new Date\(\)|process\.(env|argv|exit|hrtime)|setTimeout|setInterval|performance\.now|Math\.random|console\.)/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('core purity', () => {
  const root = join(import.meta.dirname, '..', 'core');
  const files = sourceFiles(root);

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s imports no I/O and reads no clock', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(FORBIDDEN_IMPORT);
    expect(text).not.toMatch(FORBIDDEN_CALL);
  });
});
