// Matches a platform against TDX TCB Info (Intel DCAP QVL rules): FMSPC/PCEID identify the platform,
// the TDX module must carry the expected signer and attributes, and the first (newest) level whose
// SGX components, PCESVN and TDX components are all at or below the platform's gives the status.
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import type { TcbStatus } from './collateral-fields.js';
import type { PckExtensions } from './pck-extensions.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import type { IsvSvnLevel, TdxModule, TdxTcbInfo, TdxTcbLevel } from './tcb-info.js';

export interface TdxTcbInput {
  readonly pck: PckExtensions;
  readonly teeTcbSvn: Buffer;
  readonly mrSignerSeam: Buffer;
  readonly seamAttributes: Buffer;
}

export interface TdxTcbEvaluation {
  /** Platform status converged with the TDX module status; what policy compares. */
  readonly tcbStatus: TcbStatus;
  readonly platformTcbStatus: TcbStatus;
  readonly tcbLevel: TdxTcbLevel;
  /** Set when TEE_TCB_SVN[1] > 0 and the TCB Info lists module identities (TDX 1.5). */
  readonly tdxModule?: { readonly id: string; readonly tcbStatus: TcbStatus; readonly tcbLevel: IsvSvnLevel };
  readonly advisoryIds: readonly string[];
}

function mismatch(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.COLLATERAL_MISMATCH, message);
}

function checkModule(module: TdxModule, input: TdxTcbInput, name: string): void {
  if (!input.mrSignerSeam.equals(module.mrSigner)) {
    throw mismatch(`${name}: MRSIGNERSEAM expected ${shortHex(module.mrSigner)}, got ${shortHex(input.mrSignerSeam)}`);
  }
  const masked = Buffer.from(input.seamAttributes.map((b, i) => b & (module.attributesMask[i] ?? 0)));
  if (!masked.equals(module.attributes)) {
    throw mismatch(
      `${name}: SEAMATTRIBUTES & mask expected ${module.attributes.toString('hex')}, got ${masked.toString('hex')}`,
    );
  }
}

function levelMatches(level: TdxTcbLevel, input: TdxTcbInput, tdxStart: number): boolean {
  for (let i = 0; i < 16; i++) {
    if ((input.pck.tcbComponents[i] ?? 0) < (level.sgxComponents[i] ?? 0)) return false;
  }
  if (input.pck.pceSvn < level.pceSvn) return false;
  for (let i = tdxStart; i < 16; i++) {
    if ((input.teeTcbSvn[i] ?? 0) < (level.tdxComponents[i] ?? 0)) return false;
  }
  return true;
}

/** Intel QVL's convergence of the platform status with the TDX module identity status. */
function converge(platform: TcbStatus, module: TcbStatus | undefined): TcbStatus {
  if (module === 'Revoked') return 'Revoked';
  if (module === 'OutOfDate') {
    return platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded'
      ? 'OutOfDateConfigurationNeeded'
      : 'OutOfDate';
  }
  return platform;
}

/**
 * Evaluates the platform TCB. Throws TDX_COLLATERAL_MISMATCH when the TCB Info is for another
 * platform or module, TDX_TCB_LEVEL_NOT_FOUND when no level matches.
 */
export function evaluateTdxTcb(input: TdxTcbInput, tcbInfo: TdxTcbInfo): TdxTcbEvaluation {
  if (!input.pck.fmspc.equals(tcbInfo.fmspc)) {
    throw mismatch(
      `TCB Info FMSPC expected ${input.pck.fmspc.toString('hex')} (from the PCK), got ${tcbInfo.fmspc.toString('hex')}`,
    );
  }
  if (!input.pck.pceId.equals(tcbInfo.pceId)) {
    throw mismatch(
      `TCB Info PCEID expected ${input.pck.pceId.toString('hex')} (from the PCK), got ${tcbInfo.pceId.toString('hex')}`,
    );
  }
  checkModule(tcbInfo.tdxModule, input, 'TDX module');

  // TEE_TCB_SVN[1] is the module's major version; when set, module SVNs live in tdxModuleIdentities
  // and only components from index 2 are compared against the TCB level.
  const moduleVersion = input.teeTcbSvn[1] ?? 0;
  let tdxModule: TdxTcbEvaluation['tdxModule'];
  if (moduleVersion > 0 && tcbInfo.tdxModuleIdentities.length > 0) {
    const id = `TDX_${moduleVersion.toString(16).padStart(2, '0').toUpperCase()}`;
    const identity = tcbInfo.tdxModuleIdentities.find((m) => m.id.toUpperCase() === id);
    if (identity === undefined) throw mismatch(`TCB Info: expected a TDX module identity ${id}, got none`);
    checkModule(identity, input, `TDX module identity ${id}`);
    const isvSvn = input.teeTcbSvn[0] ?? 0;
    const level = identity.tcbLevels.find((l) => isvSvn >= l.isvSvn);
    if (level === undefined) {
      throw new VerificationError(
        TDX_ERROR.TCB_LEVEL_NOT_FOUND,
        `TDX module identity ${id}: no matching TCB level found for module SVN ${isvSvn}`,
      );
    }
    tdxModule = { id, tcbStatus: level.tcbStatus, tcbLevel: level };
  }

  const tcbLevel = tcbInfo.tcbLevels.find((level) => levelMatches(level, input, moduleVersion > 0 ? 2 : 0));
  if (tcbLevel === undefined) {
    throw new VerificationError(
      TDX_ERROR.TCB_LEVEL_NOT_FOUND,
      `TDX TCB info reported by Intel PCS failed TCB status check: no matching TCB level found (PCK SVNs [${input.pck.tcbComponents.join(',')}], PCESVN ${input.pck.pceSvn}, TEE_TCB_SVN ${input.teeTcbSvn.toString('hex')})`,
    );
  }
  return {
    tcbStatus: converge(tcbLevel.tcbStatus, tdxModule?.tcbStatus),
    platformTcbStatus: tcbLevel.tcbStatus,
    tcbLevel,
    ...(tdxModule === undefined ? {} : { tdxModule }),
    advisoryIds: [...new Set([...tcbLevel.advisoryIds, ...(tdxModule?.tcbLevel.advisoryIds ?? [])])],
  };
}
