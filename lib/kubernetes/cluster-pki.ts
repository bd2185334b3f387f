// The cluster's PKI as kubeadm makes it, reduced to what the admin needs: a self-signed ECDSA P-256 cluster CA and
// client certificates it signs. Keys are made with WebCrypto and exported as PKCS#8 PEM.
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { invalidArgument } from '../errors.js';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** kubeadm: CA 10 years, client certificates 1 year. */
export const CA_VALIDITY_DAYS = 3650;
export const CLIENT_VALIDITY_DAYS = 365;

export interface PemKeyPair {
  readonly certificatePem: string;
  /** PKCS#8 PEM. Secret. */
  readonly keyPem: string;
}

function serialNumber(): string {
  // Positive 16-byte serial (a leading byte below 0x80 keeps the DER INTEGER positive).
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // Tolerate small clock skew between the node and its clients.
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

export async function createClusterCa(commonName = 'kubernetes'): Promise<PemKeyPair> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(CA_VALIDITY_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

export interface ClientIdentity {
  readonly commonName: string;
  /** Kubernetes groups (certificate O=…), e.g. system:masters. */
  readonly groups: readonly string[];
}

const DN_VALUE = /^[A-Za-z0-9:._-]{1,64}$/;

export async function issueClientCertificate(ca: PemKeyPair, identity: ClientIdentity): Promise<PemKeyPair> {
  for (const value of [identity.commonName, ...identity.groups]) {
    if (!DN_VALUE.test(value)) throw invalidArgument('client identity', 'names of [A-Za-z0-9:._-]{1,64}', value);
  }
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const subject = [...identity.groups.map((group) => `O=${group}`), `CN=${identity.commonName}`].join(', ');
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCertificate.subject,
    ...validity(CLIENT_VALIDITY_DAYS),
    publicKey: keys.publicKey,
    signingKey: await importKeyPem(ca.keyPem),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return { certificatePem: certificate.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** kubeadm's discovery-token-ca-cert-hash: "sha256:" + hex SHA-256 of the CA's SubjectPublicKeyInfo DER. */
export function discoveryTokenCaCertHash(caCertificatePem: string | Buffer): string {
  const spki = new X509Certificate(caCertificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
