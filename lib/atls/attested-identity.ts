// The ephemeral TLS identity of an attested server: a fresh P-256 key and a self-signed certificate.
// Nothing trusts this certificate by its signature; clients pin it and then demand evidence bound to its
// SubjectPublicKeyInfo (lib/atls/README.md). It carries no custom extension, so no verifier stumbles over
// an unknown critical one, and a SAN for the names it is dialed by (Node checks the SAN unless overridden).
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { ServerCredentials } from '@grpc/grpc-js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

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
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function createAttestedIdentity(options: IdentityOptions = {}): Promise<AttestedIdentity> {
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000); // tolerate small clock skew between peers
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 30) * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=constellation-attested',
    notBefore,
    notAfter,
    keys: keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) =>
          isIP(host) === 0 ? { type: 'dns' as const, value: host } : { type: 'ip' as const, value: host },
        ),
        false,
      ),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return { keyPem, certPem: cert.toString('pem'), spki: Buffer.from(cert.publicKey.rawData) };
}

/** TLS server credentials presenting the identity; no client certificates (README: decision). */
export function serverCredentials(identity: AttestedIdentity): ServerCredentials {
  return ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certPem) }],
    false,
  );
}
