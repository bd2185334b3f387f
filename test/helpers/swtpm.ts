// Per-test software TPMs: started fresh, stopped and deleted in the test's teardown.
import { rmSync } from 'node:fs';
import type { Test } from 'tap';
import { startSwtpm, type Swtpm, type SwtpmOptions } from '../../lib/swtpm/swtpm-process.js';
import { createLocalCa, type LocalCa } from '../../lib/swtpm/local-ca.js';

process.env.TSS2_LOG ??= 'all+NONE';

let sharedCa: Promise<LocalCa> | undefined;

/**
 * One local manufacturer CA per test process (its keys are made on first EK provisioning), in a temporary directory
 * removed when the process exits: it holds the CA's private keys, and every test process that provisions an EK
 * made one (643 had piled up in /tmp).
 */
export function testCa(): Promise<LocalCa> {
  sharedCa ??= createLocalCa().then((ca) => {
    process.once('exit', () => {
      rmSync(ca.dir, { recursive: true, force: true });
    });
    return ca;
  });
  return sharedCa;
}

/** A fresh swtpm for test `t`; `withEkCert` provisions EKs with certificates from {@link testCa}. */
export async function swtpmFor(
  t: Pick<Test, 'teardown'>,
  options: Omit<SwtpmOptions, 'ca'> & { withEkCert?: boolean } = {},
): Promise<Swtpm> {
  const { withEkCert, ...rest } = options;
  const tpm = await startSwtpm(withEkCert === true ? { ...rest, ca: await testCa() } : rest);
  t.teardown(() => tpm.stop());
  return tpm;
}
