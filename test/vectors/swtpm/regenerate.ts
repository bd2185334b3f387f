// Regenerates the swtpm quote vectors in this folder from a fresh swtpm with a local-CA EK certificate, using
// tpm2-tools only (not our native layer or issuer), so that our verifiers are checked against an independent
// quoting implementation. Run: node --import tsx test/vectors/swtpm/regenerate.ts   (see README.md)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { computeBinding } from '../../../lib/attestation/verify/binding.js';
import { createLocalCa } from '../../../lib/swtpm/local-ca.js';
import { startSwtpm } from '../../../lib/swtpm/swtpm-process.js';

const run = promisify(execFile);
const outDir = fileURLToPath(new URL('.', import.meta.url));

/** Fixed inputs, so the qualifying data is reproducible from the README. */
const NONCE = createHash('sha256').update('constellation swtpm vector nonce').digest();
const BINDING = Buffer.from('constellation swtpm vector channel key');
/** Measurements extended before quoting, so the PCRs are not all zero (PCR: SHA-256 of the label). */
const MEASUREMENTS: readonly { pcr: number; label: string }[] = [
  { pcr: 4, label: 'boot loader' },
  { pcr: 8, label: 'kernel command line' },
  { pcr: 9, label: 'initrd' },
  { pcr: 11, label: 'unified kernel image' },
  { pcr: 11, label: 'unified kernel image, second section' },
  { pcr: 15, label: 'constellation measurement' },
];

/** DER certificates in NV are padded to the index size; cut at the outer SEQUENCE's length. */
function trimDer(bytes: Buffer): Buffer {
  if (bytes[0] !== 0x30 || bytes[1] !== 0x82) throw new Error('EK certificate in NV is not a long-form DER SEQUENCE');
  return bytes.subarray(0, 4 + bytes.readUInt16BE(2));
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'swtpm-vectors-'));
  const ca = await createLocalCa(join(work, 'ca'));
  const swtpm = await startSwtpm({ ca, stateDir: join(work, 'state') });
  const env = { ...process.env, TPM2TOOLS_TCTI: swtpm.tcti, TSS2_LOG: 'all+NONE' };
  // swtpm has no resource manager: flush transient objects after every tool so its 3 slots never fill up.
  const tool = async (name: string, args: readonly string[]): Promise<void> => {
    try {
      await run(name, args, { cwd: work, env });
    } finally {
      await run('tpm2_flushcontext', ['-t'], { cwd: work, env });
    }
  };
  try {
    for (const { pcr, label } of MEASUREMENTS) {
      await tool('tpm2_pcrextend', [`${pcr}:sha256=${createHash('sha256').update(label).digest('hex')}`]);
    }
    const qualifyingData = computeBinding(NONCE, BINDING);
    await tool('tpm2_createek', ['-c', 'ek.ctx', '-G', 'rsa', '-u', 'ek.pub']);
    await tool('tpm2_nvread', ['-C', 'o', '-o', 'ek-rsa.nv', '0x01c00002']);
    const ekCertificate = trimDer(await readFile(join(work, 'ek-rsa.nv')));
    const manifest: Record<string, unknown> = {
      generatedBy: 'test/vectors/swtpm/regenerate.ts (swtpm + tpm2-tools 5.4)',
      nonce: NONCE.toString('hex'),
      binding: BINDING.toString('hex'),
      qualifyingData: qualifyingData.toString('hex'),
      measurements: MEASUREMENTS.map(({ pcr, label }) => ({
        pcr,
        label,
        sha256: createHash('sha256').update(label).digest('hex'),
      })),
    };
    for (const kind of ['ecc', 'rsa'] as const) {
      const scheme = kind === 'ecc' ? 'ecdsa' : 'rsassa';
      await tool('tpm2_createak', [
        '-C',
        'ek.ctx',
        '-c',
        `ak-${kind}.ctx`,
        '-G',
        kind,
        '-g',
        'sha256',
        '-s',
        scheme,
        '-u',
        `ak-${kind}.tpm2b`,
      ]);
      await tool('tpm2_quote', [
        '-c',
        `ak-${kind}.ctx`,
        '-l',
        'sha256:all',
        '-q',
        qualifyingData.toString('hex'),
        '-m',
        `quote-${kind}.attest`,
        '-s',
        `quote-${kind}.sig`,
        '-o',
        `pcrs-${kind}.bin`,
        '-F',
        'values',
        '-g',
        'sha256',
      ]);
      const tpm2bPublic = await readFile(join(work, `ak-${kind}.tpm2b`));
      await writeFile(join(outDir, `ak-${kind}.tpmt-public`), tpm2bPublic.subarray(2, 2 + tpm2bPublic.readUInt16BE(0)));
      await writeFile(join(outDir, `quote-${kind}.attest`), await readFile(join(work, `quote-${kind}.attest`)));
      await writeFile(join(outDir, `quote-${kind}.sig`), await readFile(join(work, `quote-${kind}.sig`)));
      const values = await readFile(join(work, `pcrs-${kind}.bin`));
      if (values.length !== 24 * 32) throw new Error(`expected 24 sha256 PCR values, got ${values.length} bytes`);
      const pcrs = Object.fromEntries(
        Array.from({ length: 24 }, (_, i) => [String(i), values.subarray(i * 32, i * 32 + 32).toString('hex')]),
      );
      // Both quotes are taken over the same, unchanged PCRs; one table describes both.
      if (manifest.pcrs !== undefined && JSON.stringify(manifest.pcrs) !== JSON.stringify({ sha256: pcrs })) {
        throw new Error('PCRs changed between the ECC and the RSA quote');
      }
      manifest.pcrs = { sha256: pcrs };
    }
    await writeFile(join(outDir, 'ek-rsa.der'), ekCertificate);
    await writeFile(join(outDir, 'ca-root.pem'), await ca.rootPem());
    await writeFile(join(outDir, 'ca-intermediate.pem'), await ca.intermediatePem());
    await writeFile(join(outDir, 'quote.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`wrote swtpm vectors to ${outDir}`);
  } finally {
    await swtpm.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
