// Checks the quoting enclave's report against the TD_QE identity: Intel's signer, product, masked
// MISCSELECT/ATTRIBUTES, then the first TCB level at or below its ISVSVN gives the QE status.
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import type { TcbStatus } from './collateral-fields.js';
import type { TdQeIdentity } from './qe-identity.js';
import type { IsvSvnLevel } from './tcb-info.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import type { SgxReportBody } from './tdx-quote.js';

export interface QeIdentityEvaluation {
  readonly tcbStatus: TcbStatus;
  readonly tcbLevel: IsvSvnLevel;
}

function mismatch(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.QE_IDENTITY_MISMATCH, `QE report vs QE Identity: ${message}`);
}

export function evaluateQeIdentity(report: SgxReportBody, identity: TdQeIdentity): QeIdentityEvaluation {
  if (!report.mrSigner.equals(identity.mrSigner)) {
    throw mismatch(`MRSIGNER expected ${shortHex(identity.mrSigner)}, got ${shortHex(report.mrSigner)}`);
  }
  if (report.isvProdId !== identity.isvProdId) {
    throw mismatch(`ISVPRODID expected ${identity.isvProdId}, got ${report.isvProdId}`);
  }
  const miscSelect = (report.miscSelect & identity.miscSelectMask) >>> 0;
  if (miscSelect !== identity.miscSelect) {
    throw mismatch(
      `MISCSELECT & mask expected 0x${identity.miscSelect.toString(16)}, got 0x${miscSelect.toString(16)}`,
    );
  }
  const attributes = Buffer.from(report.attributes.map((b, i) => b & (identity.attributesMask[i] ?? 0)));
  if (!attributes.equals(identity.attributes)) {
    throw mismatch(
      `ATTRIBUTES & mask expected ${identity.attributes.toString('hex')}, got ${attributes.toString('hex')}`,
    );
  }
  const tcbLevel = identity.tcbLevels.find((level) => report.isvSvn >= level.isvSvn);
  if (tcbLevel === undefined) {
    throw new VerificationError(
      TDX_ERROR.TCB_LEVEL_NOT_FOUND,
      `QE Identity: no matching TCB level found for QE ISVSVN ${report.isvSvn}`,
    );
  }
  return { tcbStatus: tcbLevel.tcbStatus, tcbLevel };
}
