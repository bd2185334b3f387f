// Intel PCS TD_QE enclave identity (v2): which quoting enclave may sign TD quotes and its TCB levels.
import { CollateralFields } from './collateral-fields.js';
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import { isvSvnLevels, type IsvSvnLevel } from './tcb-info.js';

export interface TdQeIdentity {
  readonly id: 'TD_QE';
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  readonly miscSelect: number;
  readonly miscSelectMask: number;
  readonly attributes: Buffer;
  readonly attributesMask: Buffer;
  readonly mrSigner: Buffer;
  readonly isvProdId: number;
  readonly tcbLevels: readonly IsvSvnLevel[];
}

const WHAT = 'QE Identity';

/** Types the signed "enclaveIdentity" value. Errors → TDX_COLLATERAL_INVALID. */
export function readTdQeIdentity(value: unknown): TdQeIdentity {
  const fields = CollateralFields.of(WHAT, value);
  const id = fields.string('id');
  if (id !== 'TD_QE')
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${WHAT}: expected id "TD_QE", got "${id}"`);
  const version = fields.integer('version');
  if (version !== 2)
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${WHAT}: expected version 2, got ${version}`);
  return {
    id,
    version,
    issueDate: fields.date('issueDate'),
    nextUpdate: fields.date('nextUpdate'),
    tcbEvaluationDataNumber: fields.integer('tcbEvaluationDataNumber'),
    // MISCSELECT is a little-endian u32 in the report but served big-endian as hex text.
    miscSelect: fields.hex('miscselect', 4).readUInt32BE(0),
    miscSelectMask: fields.hex('miscselectMask', 4).readUInt32BE(0),
    attributes: fields.hex('attributes', 16),
    attributesMask: fields.hex('attributesMask', 16),
    mrSigner: fields.hex('mrsigner', 32),
    isvProdId: fields.integer('isvprodid'),
    tcbLevels: isvSvnLevels(fields),
  };
}
