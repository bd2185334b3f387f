// The ephemeral TLS identity of an attested server: a fresh P-256 key and a self-signed certificate.
// Nothing trusts this certificate by its signature; clients pin it and then demand evidence bound to its
// SubjectPublicKeyInfo (lib/atls/README.md). It carries no custom extension, so no verifier stumbles over
// an unknown critical one, and a SAN for the names it is dialed by (Node checks the SAN unless overridden).
// Built with lib/x509 on node:crypto: a generic X.509 library cost the Bootstrapper ~17 MB of memory.
import { ServerCredentials } from '@grpc/grpc-js';
import {
  basicConstraints,
  certificatePem,
  extendedKeyUsage,
  generateP256KeyPair,
  keyUsage,
  pkcs8Pem,
  selfSignedCertificate,
  spkiDer,
  subjectAltName,
} from '../x509/index.js';

export interface AttestedIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  /** SubjectPublicKeyInfo DER of the TLS key: what evidence binds to. */
  readonly spki: Buffer;
}

export interface IdentityOptions {
  /** Host names and IP addresses the server is dialed by; default localhost, 127.0.0.1 and ::1. */
  readonly hosts?: readonly string[];
  /** Validity in days; the key is ephemeral (one process lifetime), so a short lifetime suffices. */
  readonly validityDays?: number;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];

export async function createAttestedIdentity(options: IdentityOptions = {}): Promise<AttestedIdentity> {
  const { publicKey, privateKey } = await generateP256KeyPair();
  const notBefore = new Date(Date.now() - 60_000); // tolerate small clock skew between peers
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 30) * 86_400_000);
  const certificate = selfSignedCertificate(
    {
      subject: [{ type: 'CN', value: 'constellation-attested' }],
      publicKey,
      notBefore,
      notAfter,
      extensions: [
        basicConstraints(false),
        keyUsage(['digitalSignature']),
        extendedKeyUsage(['serverAuth']),
        subjectAltName(options.hosts ?? DEFAULT_HOSTS),
      ],
    },
    privateKey,
  );
  return { keyPem: pkcs8Pem(privateKey), certPem: certificatePem(certificate), spki: spkiDer(publicKey) };
}

/** TLS server credentials presenting the identity; no client certificates (README: decision). */
export function serverCredentials(identity: AttestedIdentity): ServerCredentials {
  return ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certPem) }],
    false,
  );
}
