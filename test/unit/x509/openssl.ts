// The openssl command line as an independent reader and verifier of the certificates lib/x509 writes.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';

const run = promisify(execFile);

export interface OpenSsl {
  /** Writes `files` (name → content) to a fresh directory, returns their paths by name. */
  files(files: Record<string, string | Buffer>): Promise<Record<string, string>>;
  /** `openssl x509 -text -noout` of a PEM certificate. */
  text(pem: string): Promise<string>;
  /** `openssl verify -CAfile ca.pem leaf.pem`: exit code and output. */
  verify(caPem: string, leafPem: string): Promise<{ ok: boolean; output: string }>;
  /** Any openssl command; returns stdout. */
  run(args: readonly string[]): Promise<string>;
}

export async function openssl(t: Test): Promise<OpenSsl> {
  const dir = await mkdtemp(join(tmpdir(), 'x509-openssl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let count = 0;
  const files = async (entries: Record<string, string | Buffer>): Promise<Record<string, string>> => {
    const paths: Record<string, string> = {};
    for (const [name, content] of Object.entries(entries)) {
      const path = join(dir, `${count++}-${name}`);
      await writeFile(path, content);
      paths[name] = path;
    }
    return paths;
  };
  const command = async (args: readonly string[]): Promise<string> => (await run('openssl', [...args])).stdout;
  return {
    files,
    run: command,
    async text(pem) {
      const { cert = '' } = await files({ cert: pem });
      return command(['x509', '-in', cert, '-text', '-noout']);
    },
    async verify(caPem, leafPem) {
      const { ca = '', leaf = '' } = await files({ ca: caPem, leaf: leafPem });
      try {
        const { stdout, stderr } = await run('openssl', ['verify', '-CAfile', ca, leaf]);
        return { ok: true, output: stdout + stderr };
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        return { ok: false, output: stdout + stderr };
      }
    },
  };
}
