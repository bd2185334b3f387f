// Quote verification throughput on one core, ECC P-256 and RSA-2048 AKs, next to node:crypto's
// verify() of the same signature as the baseline. Quotes are synthetic (node:crypto-signed
// TPMS_ATTEST over 24 SHA-256 PCRs), structurally identical to tpm2_quote output.
// Run: node --import tsx bench/quote-verify.ts
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { marshalAttest, marshalQuoteInfo } from '../lib/tpm/attest-marshal.js';
import { loadavg } from 'node:os';
import { parsePublic } from '../lib/tpm/public-area.js';
import { publicFromKey } from '../lib/tpm/public-marshal.js';
import { verifyQuote, type QuoteInput } from '../lib/tpm/quote-verifier.js';
import { marshalSignature } from '../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../lib/tpm/tpm-constants.js';

const PCRS = Array.from({ length: 24 }, (_, i) => i);
const TARGET_PER_SECOND = 2000;

function makeQuote(kind: 'ecc-p256' | 'rsa-2048'): { input: QuoteInput; baseline: () => boolean } {
  const { publicKey, privateKey } =
    kind === 'ecc-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const values = PCRS.map((i) => createHash('sha256').update(`pcr ${i}`).digest());
  const sha256 = Object.fromEntries(values.map((value, i) => [i, value]));
  const digest = createHash('sha256');
  for (const value of values) digest.update(value);
  const nonce = createHash('sha256').update('nonce').digest();
  const attest = marshalAttest({
    extraData: nonce,
    qualifiedSigner: Buffer.alloc(34, 1),
    attested: marshalQuoteInfo({ sha256: PCRS }, digest.digest()),
  });
  let signature: Buffer;
  let baseline: () => boolean;
  if (kind === 'ecc-p256') {
    const raw = sign('sha256', attest, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    signature = marshalSignature({
      kind: 'ecc',
      sigAlg: TPM_ALG.ECDSA,
      hashAlg: TPM_ALG.SHA256,
      r: raw.subarray(0, 32),
      s: raw.subarray(32),
    });
    baseline = () => verify('sha256', attest, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw);
  } else {
    const raw = sign('sha256', attest, privateKey);
    signature = marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256, sig: raw });
    baseline = () => verify('sha256', attest, publicKey, raw);
  }
  // The AK as TPMT_PUBLIC bytes, as a verifier receives it over the wire.
  const akPublic = publicFromKey(publicKey).raw;
  return { input: { akPublic, attest, signature, expectedQualifyingData: nonce, pcrs: { sha256 } }, baseline };
}

function rate(run: () => unknown, seconds = 1.5): number {
  for (let i = 0; i < 200; i++) run();
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) run();
    n += 50;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

console.log(`quote verification, one core, node ${process.version} (machine load average ${loadavg()[0]?.toFixed(1)})`);
for (const kind of ['ecc-p256', 'rsa-2048'] as const) {
  const { input, baseline } = makeQuote(kind);
  const parsedAk = { ...input, akPublic: parsePublic(input.akPublic as Uint8Array) };
  verifyQuote(input);
  if (!baseline()) throw new Error('baseline signature does not verify');
  const base = rate(baseline);
  const enrolled = rate(() => verifyQuote(parsedAk));
  const fromBytes = rate(() => verifyQuote(input));
  const line = (label: string, value: number): string =>
    `${kind.padEnd(9)} ${label.padEnd(28)} ${value.toFixed(0).padStart(7)}/s  ratio to crypto.verify ${(value / base).toFixed(2)}`;
  console.log(line('crypto.verify alone', base));
  console.log(
    line('verifyQuote, AK parsed once', enrolled),
    enrolled >= TARGET_PER_SECOND ? `(target ${TARGET_PER_SECOND}/s met)` : `(target ${TARGET_PER_SECOND}/s NOT met)`,
  );
  console.log(line('verifyQuote, AK from bytes', fromBytes));
}
