// Verifies a TDX quote end to end: PCK chain to the Intel root, QE report signed by the PCK key and
// bound to the attestation key, the quote signed by that key; then, with collateral, revocation, the
// QE identity and the platform TCB level. Returns the verified state that policy consumes.
import { createPublicKey, createHash, verify, type KeyObject } from 'node:crypto';
import { invalidArgument, VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { parseCertificateChain, verifyCertificateChain } from './certificate-chain.js';
import type { TcbStatus } from './collateral-fields.js';
import {
  assertCollateralCurrent,
  isVerifiedTdxCollateral,
  verifyTdxCollateral,
  type TdxCollateral,
  type VerifiedTdxCollateral,
} from './collateral-verifier.js';
import { checkNotRevoked, verifyCrl } from './crl.js';
import { readPckExtensions, type PckExtensions } from './pck-extensions.js';
import { evaluateQeIdentity, type QeIdentityEvaluation } from './qe-identity-check.js';
import { parseTdxQuote } from './quote-parser.js';
import { evaluateTdxTcb, type TdxTcbEvaluation } from './tcb-level.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import type { TdxQuote } from './tdx-quote.js';
import { resolveTrustedRoot } from './trusted-root.js';
import type { X509Fields } from './x509-fields.js';

export interface VerifyTdxQuoteOptions {
  readonly quote: Uint8Array;
  /** Raw PCS collateral, or the result of verifyTdxCollateral to skip re-verifying it. */
  readonly collateral?: TdxCollateral | VerifiedTdxCollateral;
  /** PEM of the trust anchor; default: the shipped Intel SGX Root CA. */
  readonly trustedRoot?: string;
  readonly now: Date;
}

export interface VerifiedTdxState {
  readonly quote: TdxQuote;
  readonly pck: PckExtensions;
  readonly pckSerial: string;
  /** False when no collateral was given: signatures and the PCK chain only, no TCB or revocation check. */
  readonly collateralChecked: boolean;
  /** Converged platform + TDX module status; undefined without collateral. */
  readonly tcbStatus?: TcbStatus;
  readonly tcb?: TdxTcbEvaluation;
  readonly qeTcbStatus?: TcbStatus;
  readonly qe?: QeIdentityEvaluation;
}

function signatureValid(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function attestationKeyObject(raw: Buffer): KeyObject {
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(0, 32).toString('base64url'),
        y: raw.subarray(32).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (error) {
    throw new VerificationError(TDX_ERROR.QUOTE_SIGNATURE_INVALID, 'attestation key is not a P-256 point', {
      cause: error,
    });
  }
}

function verifyEvidence(quote: TdxQuote, root: X509Fields, now: Date): X509Fields[] {
  const what = 'PCK certificate chain';
  const chain = parseCertificateChain(quote.pckChainPem, { what, code: TDX_ERROR.PCK_CHAIN_INVALID });
  if (chain.length !== 3) {
    throw new VerificationError(
      TDX_ERROR.PCK_CHAIN_INVALID,
      `${what}: expected PCK, PCK CA and root, got ${chain.length} certificates`,
    );
  }
  const full = verifyCertificateChain(chain, root, { what, code: TDX_ERROR.PCK_CHAIN_INVALID, now });
  const [pck] = full;
  if (pck === undefined || full.length !== 3) {
    throw new VerificationError(
      TDX_ERROR.PCK_CHAIN_INVALID,
      `${what}: expected PCK, PCK CA and root, got ${full.length} certificates`,
    );
  }
  if (!signatureValid(pck.certificate.publicKey, quote.qeReport.raw, quote.qeReportSignature)) {
    throw new VerificationError(
      TDX_ERROR.QE_REPORT_SIGNATURE_INVALID,
      'QE report signature does not verify under the PCK key',
    );
  }
  const expected = Buffer.concat([
    createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest(),
    Buffer.alloc(32),
  ]);
  if (!quote.qeReport.reportData.equals(expected)) {
    throw new VerificationError(
      TDX_ERROR.QE_REPORT_DATA_MISMATCH,
      `QE report REPORTDATA expected SHA-256(attestation key ‖ QE auth data) ‖ 0^32 = ${shortHex(expected)}, got ${shortHex(quote.qeReport.reportData)}`,
    );
  }
  if (!signatureValid(attestationKeyObject(quote.attestationKey), quote.signedBytes, quote.signature)) {
    throw new VerificationError(
      TDX_ERROR.QUOTE_SIGNATURE_INVALID,
      "unable to verify message digest using quote's signature and ecdsa attestation key",
    );
  }
  return full;
}

function checkRevocation(collateral: VerifiedTdxCollateral, chain: readonly X509Fields[], now: Date): void {
  const [pck, pckCa] = chain;
  if (pck === undefined || pckCa === undefined) return;
  if (!collateral.pckCrl.issuerDer.equals(pckCa.subjectDer)) {
    throw new VerificationError(
      TDX_ERROR.CRL_INVALID,
      `PCK CRL: expected issuer ${pckCa.certificate.subject.replace(/\n/g, ', ')} (the PCK's issuer), got another issuer name`,
    );
  }
  if (!collateral.pckCrlVerified) verifyCrl(collateral.pckCrl, pckCa, now);
  checkNotRevoked(collateral.rootCrl, pckCa, 'PCK CA certificate');
  checkNotRevoked(collateral.pckCrl, pck, 'PCK certificate');
}

/** Synchronous core of verifyTdxQuote (all work is CPU-bound node:crypto). */
export function verifyTdxQuoteSync(options: VerifyTdxQuoteOptions): VerifiedTdxState {
  const { now } = options;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidArgument('now', 'a valid Date', now);
  if (!(options.quote instanceof Uint8Array)) throw invalidArgument('quote', 'quote bytes', options.quote);
  const quote = parseTdxQuote(options.quote);
  const root = resolveTrustedRoot(options.trustedRoot);
  const chain = verifyEvidence(quote, root, now);
  const pckFields = chain[0];
  if (pckFields === undefined)
    throw new VerificationError(TDX_ERROR.PCK_CHAIN_INVALID, 'PCK certificate chain is empty');
  const pck = readPckExtensions(pckFields);
  const base = { quote, pck, pckSerial: pckFields.serialHex };
  if (options.collateral === undefined) return { ...base, collateralChecked: false };

  const collateral = isVerifiedTdxCollateral(options.collateral)
    ? options.collateral
    : verifyTdxCollateral({
        collateral: options.collateral,
        ...(options.trustedRoot === undefined ? {} : { trustedRoot: options.trustedRoot }),
        now,
      });
  if (!collateral.trustedRoot.certificate.raw.equals(root.certificate.raw)) {
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, 'collateral was verified under a different trusted root');
  }
  assertCollateralCurrent(collateral, now);
  checkRevocation(collateral, chain, now);
  const qe = evaluateQeIdentity(quote.qeReport, collateral.qeIdentity);
  const tcb = evaluateTdxTcb(
    {
      pck,
      teeTcbSvn: quote.body.teeTcbSvn,
      mrSignerSeam: quote.body.mrSignerSeam,
      seamAttributes: quote.body.seamAttributes,
    },
    collateral.tcbInfo,
  );
  return { ...base, collateralChecked: true, tcbStatus: tcb.tcbStatus, tcb, qeTcbStatus: qe.tcbStatus, qe };
}

/** Verifies a TDX quote; see verifyTdxQuoteSync. Throws VerificationError with a TDX_* code. */
export function verifyTdxQuote(options: VerifyTdxQuoteOptions): Promise<VerifiedTdxState> {
  return Promise.resolve().then(() => verifyTdxQuoteSync(options));
}
