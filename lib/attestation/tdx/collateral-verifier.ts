// Verifies Intel PCS collateral once (signatures, issuer chains, CRLs) so it can be cached and reused
// for many quotes; every validity window is kept and re-checked against each quote's `now`.
import { verify, type KeyObject } from 'node:crypto';
import { invalidArgument, VerificationError } from '../../errors.js';
import { parseCertificateChain, verifyCertificateChain } from './certificate-chain.js';
import { parseSignedCollateralJson, type SignedCollateralJson } from './collateral-json.js';
import { checkNotRevoked, parseCrl, verifyCrl, type Crl } from './crl.js';
import { readTdQeIdentity, type TdQeIdentity } from './qe-identity.js';
import { readTdxTcbInfo, type TdxTcbInfo } from './tcb-info.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import { resolveTrustedRoot } from './trusted-root.js';
import type { X509Fields } from './x509-fields.js';

/** Collateral as fetched from Intel PCS (or a PCCS cache). */
export interface TdxCollateral {
  /** Body of GET /tdx/certification/v4/tcb (JSON, `{"tcbInfo":…,"signature":…}`). */
  readonly tcbInfo: Uint8Array | string;
  /** `TCB-Info-Issuer-Chain` header, URL-decoded PEM. */
  readonly tcbInfoIssuerChain: string;
  /** Body of GET /tdx/certification/v4/qe/identity. */
  readonly qeIdentity: Uint8Array | string;
  readonly qeIdentityIssuerChain: string;
  /** PCK CRL, DER or PEM. */
  readonly pckCrl: Uint8Array | string;
  /** `SGX-PCK-CRL-Issuer-Chain`; without it the CRL is checked against the quote's intermediate CA. */
  readonly pckCrlIssuerChain?: string;
  /** Intel SGX Root CA CRL, DER or PEM. */
  readonly rootCrl: Uint8Array | string;
}

interface ValidityWindow {
  readonly what: string;
  readonly from: Date;
  readonly until: Date;
  readonly code: typeof TDX_ERROR.COLLATERAL_EXPIRED | typeof TDX_ERROR.CRL_EXPIRED | typeof TDX_ERROR.CERT_EXPIRED;
}

export interface VerifiedTdxCollateral {
  readonly tcbInfo: TdxTcbInfo;
  readonly qeIdentity: TdQeIdentity;
  readonly pckCrl: Crl;
  /** True when the PCK CRL was verified against `pckCrlIssuerChain`; otherwise it is verified per quote. */
  readonly pckCrlVerified: boolean;
  readonly rootCrl: Crl;
  readonly trustedRoot: X509Fields;
  readonly windows: readonly ValidityWindow[];
}

// Only objects built here count as verified; a look-alike object passed by a caller is re-verified.
const verifiedCollaterals = new WeakSet<VerifiedTdxCollateral>();

export function isVerifiedTdxCollateral(value: unknown): value is VerifiedTdxCollateral {
  return typeof value === 'object' && value !== null && verifiedCollaterals.has(value as VerifiedTdxCollateral);
}

/** ECDSA P-256 r‖s over the exact signed JSON bytes. Throws TDX_COLLATERAL_INVALID. */
export function checkCollateralSignature(signed: SignedCollateralJson, key: KeyObject, what: string): void {
  let valid: boolean;
  try {
    valid = verify('sha256', signed.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, signed.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new VerificationError(
      TDX_ERROR.COLLATERAL_INVALID,
      `${what}: signature does not verify under the TCB signing key`,
    );
  }
}

function signingChain(pem: string, what: string, root: X509Fields, rootCrl: Crl, now: Date): X509Fields[] {
  const chain = parseCertificateChain(pem, { what, code: TDX_ERROR.COLLATERAL_INVALID });
  const full = verifyCertificateChain(chain, root, { what, code: TDX_ERROR.COLLATERAL_INVALID, now });
  for (const cert of full.slice(0, -1)) checkNotRevoked(rootCrl, cert, `${what} certificate`);
  return full;
}

function leaf(chain: readonly X509Fields[]): X509Fields {
  const first = chain[0];
  if (first === undefined)
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, 'expected a non-empty issuer chain');
  return first;
}

function validateCollateralInput(collateral: TdxCollateral, now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidArgument('now', 'a valid Date', now);
  if (typeof collateral !== 'object') throw invalidArgument('collateral', 'a TdxCollateral object', collateral);
  for (const key of ['tcbInfo', 'qeIdentity', 'pckCrl', 'rootCrl'] as const) {
    const value: unknown = collateral[key];
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw invalidArgument(`collateral.${key}`, 'bytes or a string', value);
    }
  }
  for (const key of ['tcbInfoIssuerChain', 'qeIdentityIssuerChain', 'pckCrlIssuerChain'] as const) {
    const value: unknown = collateral[key];
    if (typeof value !== 'string' && !(key === 'pckCrlIssuerChain' && value === undefined)) {
      throw invalidArgument(`collateral.${key}`, 'a PEM string', value);
    }
  }
}

/** Asserts every window of `collateral` contains `now`. */
export function assertCollateralCurrent(collateral: VerifiedTdxCollateral, now: Date): void {
  for (const window of collateral.windows) {
    if (now < window.from || now > window.until) {
      throw new VerificationError(
        window.code,
        `${window.what}: expected to be current at ${now.toISOString()}, valid ${window.from.toISOString()}..${window.until.toISOString()}`,
      );
    }
  }
}

export function verifyTdxCollateral(options: {
  readonly collateral: TdxCollateral;
  readonly trustedRoot?: string;
  readonly now: Date;
}): VerifiedTdxCollateral {
  const { collateral, now } = options;
  validateCollateralInput(collateral, now);
  const root = resolveTrustedRoot(options.trustedRoot);
  const rootCrl = parseCrl(collateral.rootCrl, 'Root CA CRL');
  verifyCrl(rootCrl, root, now);

  const tcbSigned = parseSignedCollateralJson(collateral.tcbInfo, 'tcbInfo');
  const tcbChain = signingChain(collateral.tcbInfoIssuerChain, 'TCB Info issuer chain', root, rootCrl, now);
  checkCollateralSignature(tcbSigned, leaf(tcbChain).certificate.publicKey, 'TCB Info');
  const tcbInfo = readTdxTcbInfo(tcbSigned.value);

  const qeSigned = parseSignedCollateralJson(collateral.qeIdentity, 'enclaveIdentity');
  const qeChain = signingChain(collateral.qeIdentityIssuerChain, 'QE Identity issuer chain', root, rootCrl, now);
  checkCollateralSignature(qeSigned, leaf(qeChain).certificate.publicKey, 'QE Identity');
  const qeIdentity = readTdQeIdentity(qeSigned.value);

  const pckCrl = parseCrl(collateral.pckCrl, 'PCK CRL');
  const windows: ValidityWindow[] = [
    { what: 'TCB Info', from: tcbInfo.issueDate, until: tcbInfo.nextUpdate, code: TDX_ERROR.COLLATERAL_EXPIRED },
    {
      what: 'QE Identity',
      from: qeIdentity.issueDate,
      until: qeIdentity.nextUpdate,
      code: TDX_ERROR.COLLATERAL_EXPIRED,
    },
    { what: 'Root CA CRL', from: rootCrl.thisUpdate, until: rootCrl.nextUpdate, code: TDX_ERROR.CRL_EXPIRED },
    { what: 'PCK CRL', from: pckCrl.thisUpdate, until: pckCrl.nextUpdate, code: TDX_ERROR.CRL_EXPIRED },
  ];
  const certificateWindows = (chain: readonly X509Fields[]): ValidityWindow[] =>
    chain.map((cert) => ({
      what: `certificate "${cert.certificate.subject.replace(/\n/g, ', ')}"`,
      from: cert.notBefore,
      until: cert.notAfter,
      code: TDX_ERROR.CERT_EXPIRED,
    }));
  windows.push(...certificateWindows(tcbChain), ...certificateWindows(qeChain));
  let pckCrlVerified = false;
  if (collateral.pckCrlIssuerChain !== undefined) {
    const chain = parseCertificateChain(collateral.pckCrlIssuerChain, {
      what: 'PCK CRL issuer chain',
      code: TDX_ERROR.CRL_INVALID,
    });
    const full = verifyCertificateChain(chain, root, {
      what: 'PCK CRL issuer chain',
      code: TDX_ERROR.CRL_INVALID,
      now,
    });
    const issuer = leaf(full);
    checkNotRevoked(rootCrl, issuer, 'PCK CRL issuer');
    verifyCrl(pckCrl, issuer, now);
    windows.push(...certificateWindows(full));
    pckCrlVerified = true;
  }

  // Frozen: a cached result is shared between verifications and must not be edited in between.
  const verified: VerifiedTdxCollateral = Object.freeze({
    tcbInfo,
    qeIdentity,
    pckCrl,
    pckCrlVerified,
    rootCrl,
    trustedRoot: root,
    windows: Object.freeze(windows),
  });
  assertCollateralCurrent(verified, now);
  verifiedCollaterals.add(verified);
  return verified;
}
