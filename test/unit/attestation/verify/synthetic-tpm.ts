// A software stand-in for a TPM with a certified EK, for validator tests: a real node:crypto AK signs
// TPMS_ATTEST quotes built with lib/tpm's marshalling, and a test CA issues the EK certificate. PCR values
// come from replaying a real recorded event log, so replay checks run against real data.
import 'reflect-metadata';
import {
  createHash,
  generateKeyPairSync,
  KeyObject,
  sign,
  webcrypto,
  type KeyObject as KeyObjectType,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { marshalAttest, marshalQuoteInfo } from '../../../../lib/tpm/attest-marshal.js';
import { objectName } from '../../../../lib/tpm/object-name.js';
import { PCR_COUNT, type PcrBank } from '../../../../lib/tpm/pcr.js';
import { marshalPublic, AK_ATTRIBUTES } from '../../../../lib/tpm/public-marshal.js';
import { parsePublic, type TpmPublic } from '../../../../lib/tpm/public-area.js';
import { marshalSignature } from '../../../../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../../../../lib/tpm/tpm-constants.js';
import { parseEventLog } from '../../../../lib/attestation/eventlog/event-log-parser.js';
import { pcrResetValue, replayEventLog } from '../../../../lib/attestation/eventlog/replay.js';
import type { TpmQuoteEvidence } from '../../../../lib/attestation/verify/tpm-quotes.js';

export interface SyntheticTpm {
  readonly akPrivate: KeyObjectType;
  readonly akPublic: Buffer;
  readonly ak: TpmPublic;
  readonly akName: Buffer;
  readonly ekPublicKey: KeyObjectType;
  readonly ekCertificate: Buffer;
  readonly rootPem: string;
}

const RSA_ALG = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

async function makeCa(name: string): Promise<{ keys: webcrypto.CryptoKeyPair; cert: x509.X509Certificate }> {
  const keys = await webcrypto.subtle.generateKey(RSA_ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: RSA_ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { keys, cert };
}

/** A TPM "manufacturer" CA and a TPM whose EK it certifies; `ecc` chooses the AK key type. */
export async function createSyntheticTpm(options: { ak?: 'ecc' | 'rsa'; caName?: string } = {}): Promise<SyntheticTpm> {
  const ca = await makeCa(options.caName ?? 'Synthetic TPM Manufacturer Root');
  const ekKeys = await webcrypto.subtle.generateKey(RSA_ALG, true, ['sign', 'verify']);
  const ek = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    issuer: ca.cert.subject,
    subject: '',
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    publicKey: ekKeys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: RSA_ALG,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const akPair =
    options.ak === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const akPublic = marshalPublic(akPair.publicKey, { objectAttributes: AK_ATTRIBUTES });
  const ak = parsePublic(akPublic);
  return {
    akPrivate: akPair.privateKey,
    akPublic,
    ak,
    akName: objectName(ak),
    ekPublicKey: KeyObject.from(ekKeys.publicKey),
    ekCertificate: Buffer.from(ek.rawData),
    rootPem: ca.cert.toString('pem'),
  };
}

/** Signs a quote over `pcrs` of one bank (all indices given, ascending) the way a TPM would. */
export function syntheticQuote(
  tpm: Pick<SyntheticTpm, 'akPrivate' | 'ak' | 'akName'>,
  bank: PcrBank,
  pcrs: Readonly<Record<number, Buffer>>,
  qualifyingData: Uint8Array,
  overrides: { readonly attestFields?: Partial<Parameters<typeof marshalAttest>[0]> } = {},
): TpmQuoteEvidence {
  const indices = Object.keys(pcrs)
    .map(Number)
    .sort((a, b) => a - b);
  const digest = createHash('sha256');
  for (const index of indices) digest.update(pcrs[index] ?? Buffer.alloc(0));
  const attest = marshalAttest({
    qualifiedSigner: tpm.akName,
    extraData: qualifyingData,
    attested: marshalQuoteInfo({ [bank]: indices }, digest.digest()),
    ...overrides.attestFields,
  });
  let signature: Buffer;
  if (tpm.ak.type === 'ecc') {
    const raw = sign('sha256', attest, { key: tpm.akPrivate, dsaEncoding: 'ieee-p1363' });
    signature = marshalSignature({
      kind: 'ecc',
      sigAlg: TPM_ALG.ECDSA,
      hashAlg: TPM_ALG.SHA256,
      r: raw.subarray(0, 32),
      s: raw.subarray(32),
    });
  } else {
    signature = marshalSignature({
      kind: 'rsa',
      sigAlg: TPM_ALG.RSASSA,
      hashAlg: TPM_ALG.SHA256,
      sig: sign('sha256', attest, tpm.akPrivate),
    });
  }
  return { pcrBank: bank, attest, signature, pcrs };
}

export const EVENTLOG_DIR = new URL('../../../vectors/tpm/go-tpm-tools/eventlogs/', import.meta.url);

/** The Bootstrapper's PCR 15 value after extending a cluster measurement (unlogged by firmware). */
export const CLUSTER_PCR15 = createHash('sha256')
  .update(Buffer.alloc(32))
  .update(createHash('sha256').update('cluster-id').digest())
  .digest();

/** A real event log and all 24 PCRs of `bank` as a TPM that booted with it would report them. */
export function bootedPcrs(file: string, bank: PcrBank = 'sha256'): { log: Buffer; pcrs: Record<number, Buffer> } {
  const log = readFileSync(new URL(file, EVENTLOG_DIR));
  const parsed = parseEventLog(log);
  const replayed = replayEventLog(parsed, bank);
  const pcrs: Record<number, Buffer> = {};
  for (let i = 0; i < PCR_COUNT; i++) pcrs[i] = replayed[i] ?? pcrResetValue(i, bank, parsed.startupLocality);
  pcrs[15] = bank === 'sha256' ? CLUSTER_PCR15 : createHash(bank).update('cluster-id').digest();
  return { log, pcrs };
}
