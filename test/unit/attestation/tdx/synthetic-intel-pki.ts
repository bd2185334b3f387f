// A synthetic, Intel-shaped PKI for TDX tests that the real vectors cannot cover: a quote whose
// collateral yields UpToDate, a revoked PCK, a revoked PCK CA. Everything (root, PCK CA, PCK with the
// SGX extension, TCB signing cert, CRLs, signed TCB Info / QE Identity, the quote) is made here with
// fresh P-256 keys; the TD body and QE report are taken from the real v4 quote and re-signed.
import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { TdxCollateral } from '../../../../lib/attestation/tdx/index.js';
import { tdxVector, V4_QUOTE } from './tdx-vectors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SGX_OID = '1.2.840.113741.1.13.1';
const NAME = 'O=Intel Corporation, L=Santa Clara, ST=CA, C=US';

/** Verification time at which everything synthetic is current. */
export const SYNTHETIC_TIME = new Date('2030-01-01T00:00:00Z');
const NOT_BEFORE = new Date('2029-06-01T00:00:00Z');
const NOT_AFTER = new Date('2031-06-01T00:00:00Z');

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const header =
    length < 0x80
      ? Buffer.from([tag, length])
      : length < 0x100
        ? Buffer.from([tag, 0x81, length])
        : Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const octets = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const int = (value: number): Buffer => tlv(0x02, value < 0x80 ? Buffer.from([value]) : Buffer.from([0, value]));
function oid(text: string): Buffer {
  const [a = 0, b = 0, ...rest] = text.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export const SYNTHETIC_PCK = {
  fmspc: Buffer.from('a0b0c0000000', 'hex'),
  pceId: Buffer.from('0000', 'hex'),
  tcbComponents: [6, 6, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0],
  pceSvn: 11,
};

function sgxExtension(): Buffer {
  const tcb = SYNTHETIC_PCK.tcbComponents.map((svn, i) => seq(oid(`${SGX_OID}.2.${i + 1}`), int(svn)));
  return seq(
    seq(oid(`${SGX_OID}.1`), octets(Buffer.alloc(16, 0x11))),
    seq(
      oid(`${SGX_OID}.2`),
      seq(
        ...tcb,
        seq(oid(`${SGX_OID}.2.17`), int(SYNTHETIC_PCK.pceSvn)),
        seq(oid(`${SGX_OID}.2.18`), octets(Buffer.from(SYNTHETIC_PCK.tcbComponents))),
      ),
    ),
    seq(oid(`${SGX_OID}.3`), octets(SYNTHETIC_PCK.pceId)),
    seq(oid(`${SGX_OID}.4`), octets(SYNTHETIC_PCK.fmspc)),
    seq(oid(`${SGX_OID}.5`), tlv(0x0a, Buffer.from([1]))),
  );
}

async function keys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

function p1363(key: CryptoKey, data: Buffer): Buffer {
  return sign('sha256', data, { key: KeyObject.from(key), dsaEncoding: 'ieee-p1363' });
}

function signedJson(field: string, value: unknown, key: CryptoKey): Buffer {
  const text = JSON.stringify(value);
  return Buffer.from(`{"${field}":${text},"signature":"${p1363(key, Buffer.from(text)).toString('hex')}"}`);
}

export interface SyntheticTdx {
  readonly trustedRoot: string;
  readonly quote: Buffer;
  readonly collateral: TdxCollateral;
  readonly pckSerial: string;
}

export interface SyntheticOptions {
  readonly revokePck?: boolean;
  readonly revokePckCa?: boolean;
}

export async function syntheticTdx(options: SyntheticOptions = {}): Promise<SyntheticTdx> {
  const [rootKeys, caKeys, pckKeys, signingKeys, attestationKeys] = await Promise.all([
    keys(),
    keys(),
    keys(),
    keys(),
    keys(),
  ]);
  const basic = (ca: boolean): x509.Extension => new x509.BasicConstraintsExtension(ca, ca ? 1 : undefined, true);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a01',
    name: `CN=Synthetic SGX Root CA, ${NAME}`,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    keys: rootKeys,
    signingAlgorithm: ALG,
    extensions: [basic(true)],
  });
  const child = (
    serialNumber: string,
    cn: string,
    issuer: x509.X509Certificate,
    issuerKey: CryptoKey,
    publicKey: CryptoKey,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> =>
    x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${cn}, ${NAME}`,
      issuer: issuer.subject,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey,
      signingKey: issuerKey,
      signingAlgorithm: ALG,
      extensions,
    });
  const pckCa = await child('0b02', 'Synthetic SGX PCK Platform CA', root, rootKeys.privateKey, caKeys.publicKey, [
    basic(true),
  ]);
  const pck = await child('0c03', 'Synthetic SGX PCK Certificate', pckCa, caKeys.privateKey, pckKeys.publicKey, [
    basic(false),
    new x509.Extension(SGX_OID, false, sgxExtension()),
  ]);
  const signing = await child('0d04', 'Synthetic SGX TCB Signing', root, rootKeys.privateKey, signingKeys.publicKey, [
    basic(false),
  ]);

  const crl = async (issuer: x509.X509Certificate, key: CryptoKey, revoked: string[]): Promise<Buffer> =>
    Buffer.from(
      (
        await x509.X509CrlGenerator.create({
          issuer: issuer.subject,
          thisUpdate: NOT_BEFORE,
          nextUpdate: NOT_AFTER,
          signingKey: key,
          signingAlgorithm: ALG,
          entries: revoked.map((serialNumber) => ({ serialNumber, revocationDate: NOT_BEFORE })),
        })
      ).rawData,
    );

  // Quote: the real v4 header+body and QE report, bound to a fresh attestation key and re-signed.
  const real = tdxVector(V4_QUOTE);
  const signedBytes = Buffer.from(real.subarray(0, 632));
  const jwk = await webcrypto.subtle.exportKey('jwk', attestationKeys.publicKey);
  const attestationKey = Buffer.concat([Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  const qeAuthData = Buffer.from(real.subarray(636 + 134 + 384 + 64 + 2, 636 + 134 + 384 + 64 + 2 + 32));
  const qeReport = Buffer.from(real.subarray(636 + 134, 636 + 134 + 384));
  createHash('sha256').update(attestationKey).update(qeAuthData).digest().copy(qeReport, 320);
  qeReport.fill(0, 352, 384);
  const pem = Buffer.from([pck, pckCa, root].map((c) => c.toString('pem')).join('\n'));
  const u16 = (v: number): Buffer => Buffer.from([v & 0xff, v >> 8]);
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  const inner = Buffer.concat([
    qeReport,
    p1363(pckKeys.privateKey, qeReport),
    u16(qeAuthData.length),
    qeAuthData,
    u16(5),
    u32(pem.length),
    pem,
  ]);
  const signedData = Buffer.concat([
    p1363(attestationKeys.privateKey, signedBytes),
    attestationKey,
    u16(6),
    u32(inner.length),
    inner,
  ]);
  const quote = Buffer.concat([signedBytes, u32(signedData.length), signedData]);

  const component = (svn: number): { svn: number } => ({ svn });
  const level = (sgx: number[], pcesvn: number, tdx: number[], tcbStatus: string, tcbDate: string): unknown => ({
    tcb: { sgxtcbcomponents: sgx.map(component), pcesvn, tdxtcbcomponents: tdx.map(component) },
    tcbDate,
    tcbStatus,
  });
  const teeTcbSvn = [...signedBytes.subarray(48, 64)];
  const tcbInfo = {
    id: 'TDX',
    version: 3,
    issueDate: NOT_BEFORE.toISOString(),
    nextUpdate: NOT_AFTER.toISOString(),
    fmspc: SYNTHETIC_PCK.fmspc.toString('hex'),
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
    tcbLevels: [
      level(SYNTHETIC_PCK.tcbComponents, SYNTHETIC_PCK.pceSvn, teeTcbSvn, 'UpToDate', '2029-01-01T00:00:00Z'),
      level(
        SYNTHETIC_PCK.tcbComponents.map(() => 0),
        0,
        teeTcbSvn.map(() => 0),
        'OutOfDate',
        '2020-01-01T00:00:00Z',
      ),
    ],
  };
  const qeIdentity = {
    ...(
      JSON.parse(tdxVector('sample_qeIdentity_response').toString('utf8')) as {
        enclaveIdentity: Record<string, unknown>;
      }
    ).enclaveIdentity,
    issueDate: NOT_BEFORE.toISOString(),
    nextUpdate: NOT_AFTER.toISOString(),
  };
  const chainOf = (cert: x509.X509Certificate): string => `${cert.toString('pem')}\n${root.toString('pem')}\n`;
  return {
    trustedRoot: root.toString('pem'),
    quote,
    pckSerial: pck.serialNumber,
    collateral: {
      tcbInfo: signedJson('tcbInfo', tcbInfo, signingKeys.privateKey),
      tcbInfoIssuerChain: chainOf(signing),
      qeIdentity: signedJson('enclaveIdentity', qeIdentity, signingKeys.privateKey),
      qeIdentityIssuerChain: chainOf(signing),
      pckCrl: await crl(pckCa, caKeys.privateKey, options.revokePck === true ? ['0c03'] : ['7777']),
      pckCrlIssuerChain: chainOf(pckCa),
      rootCrl: await crl(root, rootKeys.privateKey, options.revokePckCa === true ? ['0b02'] : []),
    },
  };
}
