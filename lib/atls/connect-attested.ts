// Client side of attested TLS (DESIGN §4 option 2): read the server's certificate, pin it, then ask the
// server over the pinned channel for evidence bound to a fresh nonce and that certificate's key. The pin
// makes every later call on the returned credentials reach the same key; the evidence says what holds it.
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import type { CredentialActivation } from '../attestation/verify/ak-trust.js';
import { validateDocumentMessage } from '../attestation/document/document-validation.js';
import { computeBinding } from '../attestation/verify/binding.js';
import { ConstellationError, invalidArgument, VerificationError } from '../errors.js';
import { AttesterClient, type ActivateCredentialResponse, type AttestResponse } from '../../proto/gen/atls.js';
import { MAX_ATTEST_NONCE, MIN_ATTEST_NONCE } from './attester-service.js';
import { proveAttestedAk } from './credential-proof.js';

/** What connectAttested learned besides the document: the AK proof when `proveAk` asked for it. */
export interface AttestationProof {
  /** EK (from the document's certificate) and AK name the server's TPM activated a fresh credential for. */
  readonly activation?: CredentialActivation;
}

/**
 * Verifies the evidence against the expected binding; throws to refuse. Its result (e.g. the verified
 * machine state) is handed back by connectAttested as `verified`.
 */
export interface DocumentCheck<T = void> {
  (document: AttestationDocument, expectedQualifyingData: Buffer, proof: AttestationProof): Promise<T>;
  /** Set by checks that need `proof.activation`: connectAttested then runs the activation round unasked. */
  readonly requiresAkProof?: boolean;
}

/**
 * The TLS server name every attested channel sends. grpc-js would send the dialed host, which is an IP
 * address here (Node warns: DEP0123, RFC 6066 forbids IPs in SNI). The name means nothing: the pinned
 * check compares keys and ignores host names.
 */
export const ATTESTED_SERVER_NAME = 'constellation-attested';

/** Channel options to create every client on an AttestedConnection's credentials with. */
export const ATTESTED_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  'grpc.ssl_target_name_override': ATTESTED_SERVER_NAME,
});

export interface ConnectAttestedOptions<T = void> {
  /** "host:port" or "[v6]:port". */
  readonly address: string;
  /** Verifies the evidence (signatures, trust anchor, policy) against the expected binding; throws to refuse. */
  readonly verify: DocumentCheck<T>;
  /**
   * Before `verify`, prove the document's AK by a credential activation round over the pinned channel
   * (proveAttestedAk) and pass the result as `proof.activation`. Default `verify.requiresAkProof`.
   */
  readonly proveAk?: boolean;
  /** Default 32 fresh random bytes. */
  readonly nonce?: Buffer;
  /** Bound on fetching the certificate plus the Attest call. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface AttestedConnection<T = void> {
  /** Credentials that only accept the attested key (pinned root + SPKI check). */
  readonly credentials: ChannelCredentials;
  /** Pass to every client made with `credentials` (fixed TLS server name, see ATTESTED_SERVER_NAME). */
  readonly channelOptions: ChannelOptions;
  /** What `verify` returned. */
  readonly verified: T;
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

function attest(client: AttesterClient, nonce: Buffer, timeoutMs: number): Promise<AttestResponse> {
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
  });
}

function activateRemotely(
  client: AttesterClient,
  timeoutMs: number,
): (credentialBlob: Buffer, encryptedSecret: Buffer) => Promise<Buffer> {
  return (credentialBlob, encryptedSecret) =>
    new Promise<Buffer>((resolve, reject) => {
      client.activateCredential(
        { credentialBlob, encryptedSecret },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response: ActivateCredentialResponse) => {
          if (error) reject(error);
          else resolve(Buffer.from(response.secret));
        },
      );
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
export async function connectAttested<T = void>(options: ConnectAttestedOptions<T>): Promise<AttestedConnection<T>> {
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
  const channelOptions = { ...ATTESTED_CHANNEL_OPTIONS };
  const client = new AttesterClient(target, credentials, channelOptions);
  try {
    let response: AttestResponse;
    try {
      response = await attest(client, nonce, timeoutMs);
    } catch (error) {
      throw notAttested(`found the Attest call failing: ${(error as Error).message}`, error);
    }
    if (response.document === undefined) throw notAttested('found a response without a document', undefined);
    let verified: T;
    try {
      const document = validateDocumentMessage(response.document);
      const proof: AttestationProof =
        (options.proveAk ?? options.verify.requiresAkProof) === true
          ? { activation: await proveAttestedAk(document, activateRemotely(client, timeoutMs)) }
          : {};
      verified = await options.verify(document, computeBinding(nonce, spki), proof);
    } catch (error) {
      const code = error instanceof ConstellationError ? `${error.code}: ` : '';
      throw notAttested(`found it refused: ${code}${error instanceof Error ? error.message : String(error)}`, error);
    }
    return { credentials, channelOptions, verified, spki, target };
  } finally {
    client.close();
  }
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
