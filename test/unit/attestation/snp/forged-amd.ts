// Builds a complete, self-consistent but NOT AMD-issued key hierarchy (ARK → ASK/ASVK → VCEK/VLEK) and
// signs synthetic reports with it. Used for paths no public vector covers (VLEK, Turin reports, v3
// CPUID, TCB mismatch with a valid signature) via verifySnpReport's trustedRoots, and as the attacker's
// chain in the "self-made root" test.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, sign, webcrypto } from 'node:crypto';
import { SNP_REPORT_SIZE, SNP_SIGNED_LENGTH } from '../../../../lib/attestation/snp/snp-report.js';
import type { SnpProduct } from '../../../../lib/attestation/snp/snp-product.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const RSA = { name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const PSS_SIGNING = { name: 'RSA-PSS', saltLength: 48 } as unknown as webcrypto.Algorithm;
const NAME_SUFFIX = 'OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices';
const AMD_ARC = '1.3.6.1.4.1.3704.1';

export interface ForgedSignerSpec {
  kind: 'vcek' | 'vlek';
  productName: string;
  spls: { bootloader: number; tee: number; snp: number; microcode: number; fmc?: number };
  hwId?: Buffer;
  cspId?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface ForgedHierarchy {
  product: SnpProduct;
  arkPem: string;
  /** ASK/ASVK then ARK, KDS order. */
  chainPem: string;
  issueSigner(spec: ForgedSignerSpec): Promise<ForgedSigner>;
}

export interface ForgedSigner {
  der: Buffer;
  key: KeyObject;
  sign(report: Buffer): Buffer;
}

function derInteger(value: number): Uint8Array {
  return value < 0x80 ? new Uint8Array([0x02, 1, value]) : new Uint8Array([0x02, 2, 0, value]);
}

function derIa5(text: string): Uint8Array {
  return new Uint8Array([0x16, text.length, ...Buffer.from(text, 'latin1')]);
}

async function rsaKeys(): Promise<KeyPair> {
  return await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
}

/** Writes r||s (big-endian P-384, as node signs) into the report's little-endian 72-byte fields. */
export function signReportWith(key: KeyObject, report: Buffer): Buffer {
  const signed = Buffer.from(report);
  const signature = sign('sha384', signed.subarray(0, SNP_SIGNED_LENGTH), { key, dsaEncoding: 'ieee-p1363' });
  signed.fill(0, 0x2a0);
  Buffer.from(signature.subarray(0, 48)).reverse().copy(signed, 0x2a0);
  Buffer.from(signature.subarray(48, 96)).reverse().copy(signed, 0x2e8);
  return signed;
}

export async function forgeHierarchy(
  product: SnpProduct,
  kind: 'vcek' | 'vlek' = 'vcek',
  validity = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') },
): Promise<ForgedHierarchy> {
  const arkKeys = await rsaKeys();
  const ark = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '010000',
    name: `CN=ARK-${product}, ${NAME_SUFFIX}`,
    ...validity,
    signingAlgorithm: PSS_SIGNING,
    keys: arkKeys,
  });
  const askKeys = await rsaKeys();
  const askName = kind === 'vcek' ? `SEV-${product}` : `SEV-VLEK-${product}`;
  const ask = await x509.X509CertificateGenerator.create({
    serialNumber: '010001',
    subject: `CN=${askName}, ${NAME_SUFFIX}`,
    issuer: ark.subject,
    ...validity,
    signingAlgorithm: PSS_SIGNING,
    publicKey: askKeys.publicKey,
    signingKey: arkKeys.privateKey,
  });
  return {
    product,
    arkPem: ark.toString('pem'),
    chainPem: `${ask.toString('pem')}\n${ark.toString('pem')}\n`,
    async issueSigner(spec) {
      const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
      const extensions = [
        new x509.Extension(`${AMD_ARC}.1`, false, derInteger(spec.spls.fmc === undefined ? 0 : 1)),
        new x509.Extension(`${AMD_ARC}.2`, false, derIa5(spec.productName)),
        new x509.Extension(`${AMD_ARC}.3.1`, false, derInteger(spec.spls.bootloader)),
        new x509.Extension(`${AMD_ARC}.3.2`, false, derInteger(spec.spls.tee)),
        new x509.Extension(`${AMD_ARC}.3.3`, false, derInteger(spec.spls.snp)),
        new x509.Extension(`${AMD_ARC}.3.8`, false, derInteger(spec.spls.microcode)),
      ];
      if (spec.spls.fmc !== undefined)
        extensions.push(new x509.Extension(`${AMD_ARC}.3.9`, false, derInteger(spec.spls.fmc)));
      if (spec.hwId) extensions.push(new x509.Extension(`${AMD_ARC}.4`, false, spec.hwId));
      if (spec.cspId !== undefined) extensions.push(new x509.Extension(`${AMD_ARC}.5`, false, derIa5(spec.cspId)));
      const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: '00',
        subject: `CN=${spec.kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK'}, ${NAME_SUFFIX}`,
        issuer: ask.subject,
        notBefore: spec.notBefore ?? validity.notBefore,
        notAfter: spec.notAfter ?? validity.notAfter,
        signingAlgorithm: PSS_SIGNING,
        publicKey: keys.publicKey,
        signingKey: askKeys.privateKey,
        extensions,
      });
      const key = KeyObject.from(keys.privateKey);
      return { der: Buffer.from(certificate.rawData), key, sign: (report) => signReportWith(key, report) };
    },
  };
}

export interface ReportSpec {
  version?: number;
  guestSvn?: number;
  policy?: bigint;
  vmpl?: number;
  signatureAlgo?: number;
  /** Raw TCB u64 used for current, reported, committed and launch unless overridden. */
  tcb: bigint;
  reportedTcb?: bigint;
  committedTcb?: bigint;
  launchTcb?: bigint;
  signingKey?: number;
  maskChipKey?: boolean;
  reportData?: Buffer;
  measurement?: Buffer;
  hostData?: Buffer;
  chipId?: Buffer;
  cpuid?: { family: number; model: number; stepping: number };
  firmware?: [build: number, minor: number, major: number];
}

/** An unsigned report with the given fields (layout of SEV-SNP ABI ATTESTATION_REPORT). */
export function buildReport(spec: ReportSpec): Buffer {
  const r = Buffer.alloc(SNP_REPORT_SIZE);
  r.writeUInt32LE(spec.version ?? 2, 0x00);
  r.writeUInt32LE(spec.guestSvn ?? 0, 0x04);
  r.writeBigUInt64LE(spec.policy ?? 0x30000n, 0x08);
  r.writeUInt32LE(spec.vmpl ?? 0, 0x30);
  r.writeUInt32LE(spec.signatureAlgo ?? 1, 0x34);
  r.writeBigUInt64LE(spec.tcb, 0x38);
  r.writeBigUInt64LE(1n, 0x40);
  r.writeUInt32LE(((spec.signingKey ?? 0) << 2) | (spec.maskChipKey === true ? 2 : 0), 0x48);
  (spec.reportData ?? Buffer.alloc(64, 0xab)).copy(r, 0x50);
  (spec.measurement ?? Buffer.alloc(48, 0x11)).copy(r, 0x90);
  (spec.hostData ?? Buffer.alloc(32)).copy(r, 0xc0);
  r.fill(0x22, 0x140, 0x160); // report id
  r.writeBigUInt64LE(spec.reportedTcb ?? spec.tcb, 0x180);
  if (spec.cpuid) {
    r[0x188] = spec.cpuid.family;
    r[0x189] = spec.cpuid.model;
    r[0x18a] = spec.cpuid.stepping;
  }
  (spec.chipId ?? Buffer.alloc(64)).copy(r, 0x1a0);
  r.writeBigUInt64LE(spec.committedTcb ?? spec.tcb, 0x1e0);
  const [build, minor, major] = spec.firmware ?? [4, 55, 1];
  r[0x1e8] = build;
  r[0x1e9] = minor;
  r[0x1ea] = major;
  r[0x1ec] = build;
  r[0x1ed] = minor;
  r[0x1ee] = major;
  r.writeBigUInt64LE(spec.launchTcb ?? spec.tcb, 0x1f0);
  return r;
}
