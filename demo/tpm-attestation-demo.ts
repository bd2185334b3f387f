// The main job at this stage: a software TPM with a manufacturer-certified EK proves what it runs.
// Steps: local CA + swtpm → EK certificate chain → AK proven to live in that TPM (credential
// activation) → quote over PCRs with a fresh nonce → verification in pure TypeScript → a tampered
// quote is rejected. Progress goes to stderr, the verified state to stdout.
import { X509Certificate, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Tpm } from '../native/index.js';
import { ConstellationError } from '../lib/errors.js';
import { createLocalCa } from '../lib/swtpm/local-ca.js';
import { startSwtpm } from '../lib/swtpm/swtpm-process.js';
import { assertAttestationKey, makeCredential, parsePublic, verifyQuote } from '../lib/tpm/index.js';

process.env.TSS2_LOG ??= 'all+NONE';
const step = (text: string): void => {
  process.stderr.write(`• ${text}\n`);
};

async function main(): Promise<number> {
  const started = performance.now();
  step('creating a local TPM manufacturer CA and a software TPM with EK certificates (swtpm_setup)');
  const ca = await createLocalCa();
  const swtpm = await startSwtpm({ ca, pcrBanks: ['sha256'] });
  const tpm = await Tpm.open(swtpm.tcti);
  try {
    step('checking the EK certificate chain: EK → intermediate → local root');
    const ek = await tpm.createEk('rsa');
    const ekCertDer = await tpm.readEkCertificate('rsa');
    if (ekCertDer === undefined) throw new Error('expected an EK certificate in NV 0x01c00002, found none');
    const ekCert = new X509Certificate(ekCertDer);
    const intermediate = new X509Certificate(await ca.intermediatePem());
    const root = new X509Certificate(await ca.rootPem());
    if (!ekCert.verify(intermediate.publicKey) || !intermediate.verify(root.publicKey)) {
      throw new Error('EK certificate does not chain to the local CA');
    }
    const ekPublic = parsePublic(ek.public);
    const certKey = ekCert.publicKey.export({ type: 'spki', format: 'der' });
    if (!certKey.equals(ekPublic.key.export({ type: 'spki', format: 'der' }))) {
      throw new Error('EK certificate key differs from the TPM EK');
    }

    step('creating an attestation key and proving it lives in this TPM (MakeCredential / ActivateCredential)');
    const ak = await tpm.createAk('ecc');
    const akPublic = parsePublic(ak.public);
    assertAttestationKey(akPublic);
    const challenge = randomBytes(32);
    const { credentialBlob, secret } = makeCredential(ekPublic, ak.name, challenge);
    const answer = await tpm.activateCredential(ak, ek, credentialBlob, secret);
    if (!answer.equals(challenge)) throw new Error('credential activation returned a different secret');

    step('extending PCR 15 with a sample cluster measurement and quoting PCRs 0-23 (sha256) with a fresh nonce');
    await tpm.pcrExtend(15, { sha256: randomBytes(32) });
    const selection = { sha256: Array.from({ length: 24 }, (_, i) => i) };
    const nonce = randomBytes(32);
    const { values } = await tpm.pcrRead(selection);
    const quote = await tpm.quote(ak, selection, nonce);

    step('verifying the quote in TypeScript (signature, magic, type, nonce, PCR digest)');
    const verified = verifyQuote({
      akPublic,
      attest: quote.attest,
      signature: quote.signature,
      expectedQualifyingData: nonce,
      pcrs: values,
    });

    step('checking that a replayed quote (other nonce) is rejected');
    let replayRejected = '';
    try {
      verifyQuote({ akPublic, ...quote, expectedQualifyingData: randomBytes(32), pcrs: values });
    } catch (error) {
      if (error instanceof ConstellationError) replayRejected = error.code;
      else throw error;
    }
    if (replayRejected === '') throw new Error('a quote with another nonce was accepted');

    const pcrs = verified.pcrs.sha256 ?? {};
    const lines = [
      `EK certificate: ${ekCert.subject.replace(/\n/g, ', ') || '(empty subject)'}; issuer ${intermediate.subject.replace(/\n/g, ', ')}`,
      `AK name: ${ak.name.toString('hex')} (activated by the certified EK)`,
      `quote: verified, clock ${verified.attest.clockInfo.clock.toString()} ms, reset count ${verified.attest.clockInfo.resetCount}`,
      'PCR (sha256)  value',
      ...Object.entries(pcrs).map(([index, value]) => `${index.padStart(3)}           ${value.toString('hex')}`),
      `replayed quote: rejected with ${replayRejected}`,
      `done in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await tpm.flush(ak);
    await tpm.flush(ek);
    return 0;
  } finally {
    await tpm.close();
    await swtpm.stop();
    await rm(ca.dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
