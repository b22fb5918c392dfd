/**
 * A throw-away CA and a serving certificate for 127.0.0.1 (the webhook endpoint the
 * apiserver calls over HTTPS), made with the openssl command line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServingCert {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Base64 of the CA PEM, for a webhook configuration's caBundle. */
  readonly caBundle: string;
}

export function makeServingCert(dir: string): ServingCert {
  const f = (n: string): string => join(dir, n);
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tessera-e2e-ca', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('tls.key'), '-out', f('tls.csr')]);
  const ext = f('tls.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > '${ext}'`]);
  run(['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', f('tls.crt')]);
  return { caFile: f('ca.crt'), certFile: f('tls.crt'), keyFile: f('tls.key'), caBundle: readFileSync(f('ca.crt')).toString('base64') };
}
