// The cluster's PKI as kubeadm makes it, reduced to what the admin needs: a self-signed ECDSA P-256 cluster CA and
// client certificates it signs. Keys come from node:crypto and are exported as PKCS#8 PEM; certificates are built
// by lib/x509 (a generic X.509 library cost the Bootstrapper ~17 MB of memory).
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePem,
  extendedKeyUsage,
  generateP256KeyPair,
  issueCertificate,
  issuerFromCertificate,
  keyUsage,
  pkcs8Pem,
  selfSignedCertificate,
  spkiDer,
  subjectKeyIdentifier,
} from '../x509/index.js';

const DAY_MS = 86_400_000;
/** kubeadm: CA 10 years, client certificates 1 year. */
export const CA_VALIDITY_DAYS = 3650;
export const CLIENT_VALIDITY_DAYS = 365;

export interface PemKeyPair {
  readonly certificatePem: string;
  /** PKCS#8 PEM. Secret. */
  readonly keyPem: string;
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // Tolerate small clock skew between the node and its clients.
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

export async function createClusterCa(commonName = 'kubernetes'): Promise<PemKeyPair> {
  const { publicKey, privateKey } = await generateP256KeyPair();
  const certificate = selfSignedCertificate(
    {
      subject: [{ type: 'CN', value: commonName }],
      publicKey,
      ...validity(CA_VALIDITY_DAYS),
      extensions: [
        basicConstraints(true),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(spkiDer(publicKey)),
      ],
    },
    privateKey,
  );
  return { certificatePem: certificatePem(certificate), keyPem: pkcs8Pem(privateKey) };
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
  const issuer = issuerFromCertificate(ca.certificatePem, createPrivateKey(ca.keyPem));
  const { publicKey, privateKey } = await generateP256KeyPair();
  const certificate = issueCertificate(
    {
      // Groups first, then CN: the RDN order kubeadm's client certificates have.
      subject: [
        ...identity.groups.map((group) => ({ type: 'O' as const, value: group })),
        { type: 'CN', value: identity.commonName },
      ],
      publicKey,
      ...validity(CLIENT_VALIDITY_DAYS),
      extensions: [
        basicConstraints(false),
        keyUsage(['digitalSignature']),
        extendedKeyUsage(['clientAuth']),
        authorityKeyIdentifier(issuer.keyIdentifier),
      ],
    },
    issuer,
  );
  return { certificatePem: certificatePem(certificate), keyPem: pkcs8Pem(privateKey) };
}

/** kubeadm's discovery-token-ca-cert-hash: "sha256:" + hex SHA-256 of the CA's SubjectPublicKeyInfo DER. */
export function discoveryTokenCaCertHash(caCertificatePem: string | Buffer): string {
  const spki = new X509Certificate(caCertificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
