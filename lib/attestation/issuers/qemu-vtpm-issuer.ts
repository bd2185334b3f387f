// qemu-vtpm issuer (node side): a quote over all 24 sha256 PCRs by an attestation key, with the binding as
// qualifying data, plus the TCG event log and the RSA EK certificate. PCRs are read before quoting and the quote's
// PCR digest is checked against them, so the document never pairs a quote with values it does not cover (a PCR
// extended in between makes us quote again).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConstellationError, invalidArgument } from '../../errors.js';
import { parseAttest } from '../../tpm/attest.js';
import { PCR_COUNT, type PcrSelection, type PcrValues } from '../../tpm/pcr.js';
import type { AttestationDocument, TpmEvidence } from '../../../proto/gen/attestation.js';
import { computeBinding } from '../verify/binding.js';
import type { KeyHandle, Tpm } from '../../../native/tpm.js';

export const DEFAULT_EVENT_LOG_PATH = '/sys/kernel/security/tpm0/binary_bios_measurements';
const QUOTE_ATTEMPTS = 3;
const ALL_SHA256_PCRS: PcrSelection = { sha256: Array.from({ length: PCR_COUNT }, (_, index) => index) };

/** What this issuer needs from an open TPM. */
export type QuotingTpm = Pick<Tpm, 'createAk' | 'quote' | 'pcrRead' | 'readEkCertificate' | 'flush'>;

export interface QemuVtpmIssueRequest {
  readonly tpm: QuotingTpm;
  readonly nonce: Uint8Array;
  /** The channel public key the quote is bound to. */
  readonly binding: Uint8Array;
  /** An AK to reuse (not flushed); otherwise a fresh AK of `akKind` is created and flushed afterwards. */
  readonly ak?: KeyHandle;
  readonly akKind?: 'ecc' | 'rsa';
  readonly eventLogPath?: string;
}

export interface QemuVtpmIssueResult {
  /** The whole document (version 1, variant qemu-vtpm) wrapping `evidence`. */
  readonly document: AttestationDocument;
  readonly evidence: TpmEvidence;
  /** True when no event log file was found and `evidence.eventLog` is empty. */
  readonly eventLogMissing: boolean;
  readonly warnings: readonly string[];
}

async function readEventLog(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConstellationError(
      'EVENT_LOG_UNREADABLE',
      `Expected to read the TCG event log at ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** The sha256 PCR values in selection order, as TPM2_Quote concatenates them for pcrDigest. */
function pcrDigest(values: PcrValues, length: number): Buffer {
  const bank = values.sha256 ?? {};
  const hash = createHash(length === 48 ? 'sha384' : length === 64 ? 'sha512' : 'sha256');
  for (let index = 0; index < PCR_COUNT; index += 1) {
    const value = bank[index];
    if (value === undefined) {
      throw new ConstellationError('PCR_READ_INCOMPLETE', `Expected sha256 PCR ${index} from the TPM, got none`);
    }
    hash.update(value);
  }
  return hash.digest();
}

async function quoteConsistently(
  tpm: QuotingTpm,
  ak: KeyHandle,
  qualifyingData: Buffer,
): Promise<{ attest: Buffer; signature: Buffer; pcrs: Record<number, Buffer> }> {
  for (let attempt = 0; attempt < QUOTE_ATTEMPTS; attempt += 1) {
    const { values } = await tpm.pcrRead(ALL_SHA256_PCRS);
    const quoted = await tpm.quote(ak, ALL_SHA256_PCRS, qualifyingData);
    const signedDigest = parseAttest(quoted.attest).quote?.pcrDigest;
    if (signedDigest !== undefined && signedDigest.equals(pcrDigest(values, signedDigest.length))) {
      return { ...quoted, pcrs: { ...(values.sha256 ?? {}) } };
    }
  }
  throw new ConstellationError(
    'PCRS_CHANGED_DURING_QUOTE',
    `Expected the quoted PCR digest to match the PCRs read just before, but it differed ${QUOTE_ATTEMPTS} times: ` +
      'something keeps extending PCRs',
  );
}

/** Issues the TPM part of a qemu-vtpm attestation document. */
export async function issueQemuVtpmEvidence(request: QemuVtpmIssueRequest): Promise<QemuVtpmIssueResult> {
  const { tpm } = request;
  const akKind: unknown = request.akKind ?? 'ecc';
  if (akKind !== 'ecc' && akKind !== 'rsa') throw invalidArgument('akKind', '"ecc" or "rsa"', akKind);
  const qualifyingData = computeBinding(request.nonce, request.binding);
  const warnings: string[] = [];
  const eventLogPath = request.eventLogPath ?? DEFAULT_EVENT_LOG_PATH;
  const eventLog = await readEventLog(eventLogPath);
  if (eventLog === undefined) warnings.push(`no TCG event log at ${eventLogPath}: PCRs cannot be explained`);
  const ekCertificate = await tpm.readEkCertificate('rsa');
  if (ekCertificate === undefined) warnings.push('no RSA EK certificate in NV 0x01c00002');

  const ak = request.ak ?? (await tpm.createAk(akKind));
  try {
    const quote = await quoteConsistently(tpm, ak, qualifyingData);
    const evidence: TpmEvidence = {
      akPublic: ak.public,
      quotes: [{ pcrBank: 'sha256', attest: quote.attest, signature: quote.signature, pcrs: quote.pcrs }],
      eventLog: eventLog ?? Buffer.alloc(0),
      ekCertificate: ekCertificate ?? Buffer.alloc(0),
      akCertificateChain: [],
    };
    return {
      document: { version: 1, variant: 'qemu-vtpm', tpm: evidence },
      evidence,
      eventLogMissing: eventLog === undefined,
      warnings,
    };
  } finally {
    if (request.ak === undefined) await tpm.flush(ak);
  }
}
