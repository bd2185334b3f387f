// The TPM manufacturer CA of VM clusters (out/image/ek-ca, lib/swtpm layout). Its certificates are baked into the
// image, so a node trusts EK roots from measured content; `mini up` issues every VM's EK certificate from it.
// swtpm_localca creates the CA keys on first use, so the first build provisions one throw-away TPM state.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../lib/log/index.js';
import { createEkCertificates, createLocalCa } from '../../lib/swtpm/local-ca.js';

export interface EkCaCertificates {
  readonly rootPem: string;
  readonly intermediatePem: string;
}

export async function ensureEkCa(dir: string, logger: Logger): Promise<EkCaCertificates> {
  const ca = await createLocalCa(dir, 'constellation-vm');
  const root = join(dir, 'swtpm-localca-rootca-cert.pem');
  if (
    !(await access(root).then(
      () => true,
      () => false,
    ))
  ) {
    logger.info(`creating the VM clusters' TPM manufacturer CA in ${dir}`);
    const scratch = await mkdtemp(join(tmpdir(), 'image-ek-ca-'));
    try {
      await createEkCertificates(ca, scratch, ['sha256']);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return { rootPem: await ca.rootPem(), intermediatePem: await ca.intermediatePem() };
}
