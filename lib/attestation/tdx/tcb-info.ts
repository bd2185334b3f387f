// Intel PCS TDX TCB Info (v3): per-FMSPC list of TCB levels, newest first, plus the expected TDX
// module signer/attributes and (for TDX 1.5) per-module-version identities.
import { CollateralFields, type TcbStatus } from './collateral-fields.js';
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';

export interface TdxTcbLevel {
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  readonly tdxComponents: readonly number[];
  readonly tcbDate: Date;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModule {
  readonly mrSigner: Buffer;
  readonly attributes: Buffer;
  readonly attributesMask: Buffer;
}

export interface IsvSvnLevel {
  readonly isvSvn: number;
  readonly tcbDate: Date;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModuleIdentity extends TdxModule {
  /** "TDX_" + two hex digits of the module major version (TEE_TCB_SVN[1]), e.g. "TDX_01". */
  readonly id: string;
  readonly tcbLevels: readonly IsvSvnLevel[];
}

export interface TdxTcbInfo {
  readonly id: 'TDX';
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: Buffer;
  readonly pceId: Buffer;
  readonly tcbType: number;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule: TdxModule;
  readonly tdxModuleIdentities: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TdxTcbLevel[];
}

const WHAT = 'TCB Info';

function components(fields: CollateralFields, key: string): number[] {
  const list = fields.objects(key);
  if (list.length !== 16) {
    throw new VerificationError(
      TDX_ERROR.COLLATERAL_INVALID,
      `${WHAT}: expected 16 entries in ${key}, got ${list.length}`,
    );
  }
  return list.map((component) => component.integer('svn'));
}

function tdxModule(fields: CollateralFields): TdxModule {
  return {
    mrSigner: fields.hex('mrsigner', 48),
    attributes: fields.hex('attributes', 8),
    attributesMask: fields.hex('attributesMask', 8),
  };
}

export function isvSvnLevels(fields: CollateralFields): IsvSvnLevel[] {
  return fields.objects('tcbLevels').map((level) => ({
    isvSvn: level.object('tcb').integer('isvsvn'),
    tcbDate: level.date('tcbDate'),
    tcbStatus: level.status('tcbStatus'),
    advisoryIds: level.strings('advisoryIDs'),
  }));
}

/** Types the signed "tcbInfo" value. Errors → TDX_COLLATERAL_INVALID. */
export function readTdxTcbInfo(value: unknown): TdxTcbInfo {
  const fields = CollateralFields.of(WHAT, value);
  const id = fields.string('id');
  if (id !== 'TDX')
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${WHAT}: expected id "TDX", got "${id}"`);
  const version = fields.integer('version');
  if (version !== 3)
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${WHAT}: expected version 3, got ${version}`);
  return {
    id,
    version,
    issueDate: fields.date('issueDate'),
    nextUpdate: fields.date('nextUpdate'),
    fmspc: fields.hex('fmspc', 6),
    pceId: fields.hex('pceId', 2),
    tcbType: fields.integer('tcbType'),
    tcbEvaluationDataNumber: fields.integer('tcbEvaluationDataNumber'),
    tdxModule: tdxModule(fields.object('tdxModule')),
    tdxModuleIdentities: fields.has('tdxModuleIdentities')
      ? fields.objects('tdxModuleIdentities').map((identity) => ({
          id: identity.string('id'),
          ...tdxModule(identity),
          tcbLevels: isvSvnLevels(identity),
        }))
      : [],
    tcbLevels: fields.objects('tcbLevels').map((level) => {
      const tcb = level.object('tcb');
      return {
        sgxComponents: components(tcb, 'sgxtcbcomponents'),
        pceSvn: tcb.integer('pcesvn'),
        tdxComponents: components(tcb, 'tdxtcbcomponents'),
        tcbDate: level.date('tcbDate'),
        tcbStatus: level.status('tcbStatus'),
        advisoryIds: level.strings('advisoryIDs'),
      };
    }),
  };
}
