// Client side of attested TLS (DESIGN §4 option 2): read the server's certificate, pin it, then ask the
// server over the pinned channel for evidence bound to a fresh nonce and that certificate's key. The pin
// makes every later call on the returned credentials reach the same key; the evidence says what holds it.
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../attestation/document/document-validation.js';
import { computeBinding } from '../attestation/verify/binding.js';
import { ConstellationError, invalidArgument, VerificationError } from '../errors.js';
import { AttesterClient, type AttestResponse } from '../../proto/gen/atls.js';
import { MAX_ATTEST_NONCE, MIN_ATTEST_NONCE } from './attester-service.js';

export type DocumentCheck = (document: AttestationDocument, expectedQualifyingData: Buffer) => Promise<void>;

export interface ConnectAttestedOptions {
  /** "host:port" or "[v6]:port". */
  readonly address: string;
  /** Verifies the evidence (signatures, trust anchor, policy) against the expected binding; throws to refuse. */
  readonly verify: DocumentCheck;
  /** Default 32 fresh random bytes. */
  readonly nonce?: Buffer;
  /** Bound on fetching the certificate plus the Attest call. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface AttestedConnection {
  /** Credentials that only accept the attested key (pinned root + SPKI check). */
  readonly credentials: ChannelCredentials;
  /** SubjectPublicKeyInfo DER of the attested server key. */
  readonly spki: Buffer;
  /** The gRPC target to dial with `credentials`. */
  readonly target: string;
}

export const ATLS_SERVER_NOT_ATTESTED = 'ATLS_SERVER_NOT_ATTESTED';
export const ATLS_UNREACHABLE = 'ATLS_UNREACHABLE';
export const ATLS_PINNED_KEY_CHANGED = 'ATLS_PINNED_KEY_CHANGED';

interface HostPort {
  readonly host: string;
  readonly port: number;
}

function parseAddress(address: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port > 0 && port < 65536)) {
    throw invalidArgument('address', '"host:port" or "[ipv6]:port"', address);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

export function spkiOf(certificateDer: Buffer): Buffer {
  return new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'der' });
}

/** Reads the leaf certificate the server presents; trusts nothing about it yet. */
function fetchServerCertificate({ host, port }: HostPort, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string, cause?: unknown): void => {
      socket.destroy();
      reject(
        new ConstellationError(ATLS_UNREACHABLE, `Expected a TLS server at ${host}:${port}, found ${reason}`, {
          cause,
        }),
      );
    };
    // rejectUnauthorized:false is safe only here: this connection carries no data; the certificate read is
    // pinned and the Attest call over the pinned channel decides whether the key is trusted.
    const socket = tlsConnect({
      host,
      port,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    socket.setTimeout(timeoutMs, () => {
      fail(`no TLS handshake within ${timeoutMs} ms`);
    });
    socket.once('error', (error: Error) => {
      fail(error.message, error);
    });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate(true).raw as Buffer | undefined;
      socket.end();
      socket.destroy();
      if (raw === undefined || raw.length === 0)
        reject(new ConstellationError(ATLS_UNREACHABLE, 'Expected a server certificate, found none'));
      else resolve(raw);
    });
  });
}

/** Channel credentials that accept exactly `certificateDer` (as the only root) presenting key `spki`. */
export function pinnedCredentials(certificateDer: Buffer, spki: Buffer): ChannelCredentials {
  const pem = new X509Certificate(certificateDer).toString();
  return grpcCredentials.createSsl(Buffer.from(pem), null, null, {
    // Called only after the chain verified against the pinned root; replaces the host-name check, which
    // means nothing for an ephemeral self-signed key, with a key comparison.
    checkServerIdentity: (_host, certificate) => {
      const presented = spkiOf(certificate.raw);
      return presented.equals(spki)
        ? undefined
        : new ConstellationError(ATLS_PINNED_KEY_CHANGED, 'Expected the attested server key, found another key');
    },
  });
}

function attest(
  target: string,
  credentials: ChannelCredentials,
  nonce: Buffer,
  timeoutMs: number,
): Promise<AttestResponse> {
  const client = new AttesterClient(target, credentials);
  return new Promise<AttestResponse>((resolve, reject) => {
    client.attest(
      { nonce },
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error: ServiceError | null, response) => {
        if (error) reject(error);
        else resolve(response);
      },
    );
  }).finally(() => {
    client.close();
  });
}

function notAttested(reason: string, cause: unknown): VerificationError {
  return new VerificationError(ATLS_SERVER_NOT_ATTESTED, `Expected attested evidence from the server, ${reason}`, {
    cause,
  });
}

/**
 * Pins the server at `address` and verifies its evidence for a fresh nonce. Throws VerificationError
 * ATLS_SERVER_NOT_ATTESTED when the Attest call fails or `verify` refuses, ConstellationError
 * ATLS_UNREACHABLE when no TLS server answers.
 */
export async function connectAttested(options: ConnectAttestedOptions): Promise<AttestedConnection> {
  const hostPort = parseAddress(options.address);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const nonce = options.nonce ?? randomBytes(32);
  if (nonce.length < MIN_ATTEST_NONCE || nonce.length > MAX_ATTEST_NONCE) {
    throw invalidArgument('nonce', `${MIN_ATTEST_NONCE} to ${MAX_ATTEST_NONCE} random bytes`, nonce);
  }
  const certificate = await fetchServerCertificate(hostPort, timeoutMs);
  const spki = spkiOf(certificate);
  const credentials = pinnedCredentials(certificate, spki);
  const target = hostPort.host.includes(':')
    ? `[${hostPort.host}]:${hostPort.port}`
    : `${hostPort.host}:${hostPort.port}`;
  let response: AttestResponse;
  try {
    response = await attest(target, credentials, nonce, timeoutMs);
  } catch (error) {
    throw notAttested(`found the Attest call failing: ${(error as Error).message}`, error);
  }
  if (response.document === undefined) throw notAttested('found a response without a document', undefined);
  try {
    const document = validateDocumentMessage(response.document);
    await options.verify(document, computeBinding(nonce, spki));
  } catch (error) {
    const code = error instanceof ConstellationError ? `${error.code}: ` : '';
    throw notAttested(`found it refused: ${code}${error instanceof Error ? error.message : String(error)}`, error);
  }
  return { credentials, spki, target };
}

/**
 * True when a call on pinned credentials failed because the server now presents another certificate
 * (restarted with a fresh key): the caller should run connectAttested again rather than retry the call.
 * grpc-js reports this only as UNAVAILABLE with Node's chain error, since checkServerIdentity is not reached.
 */
export function isPinRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, details } = error as { code?: unknown; details?: unknown };
  return (
    code === 14 /* UNAVAILABLE */ &&
    typeof details === 'string' &&
    /self[- ]signed certificate|certificate signature failure|unable to verify|ATLS_PINNED_KEY_CHANGED|another key/i.test(
      details,
    )
  );
}
