// TDX issuer (node side): a TD quote whose REPORTDATA is the binding, through configfs-tsm (provider tdx_guest;
// the kernel asks the quote generation service, QGS, to turn the TDREPORT into a quote), plus the CC event log
// (ACPI CCEL) that explains RTMR0-3. /dev/tdx_guest alone gives only a TDREPORT, which a remote verifier cannot
// check, so without configfs-tsm we fail with a message that says so.
import { access, readFile } from 'node:fs/promises';
import { ConstellationError } from '../../errors.js';
import { DEFAULT_TDX_GUEST_DEVICE, tdxGetReport0 } from '../../../native/tee-guest.js';
import type { AttestationDocument, TdxEvidence } from '../../../proto/gen/attestation.js';
import { DEFAULT_TSM_ROOT, nodeTsmFilesystem, requestTsmReport, type TsmFilesystem } from './configfs-tsm-report.js';
import { teeReportData } from './report-data.js';
import { TEE_ISSUER_ERROR_CODES as CODES } from './tee-issuer-error-codes.js';

export const DEFAULT_CCEL_TABLE_PATH = '/sys/firmware/acpi/tables/CCEL';
export const DEFAULT_CCEL_DATA_PATH = '/sys/firmware/acpi/tables/data/CCEL';

export interface TdxIssueRequest {
  readonly nonce: Uint8Array;
  readonly binding: Uint8Array;
  readonly tsmRoot?: string;
  readonly tsmFs?: TsmFilesystem;
  /** Checked only to explain a failure (a TDX guest without configfs-tsm). */
  readonly devicePath?: string;
  readonly ccelTablePath?: string;
  readonly ccelDataPath?: string;
}

export interface TdxIssueResult {
  /** The whole document (version 1, variant tdx) wrapping `evidence`. */
  readonly document: AttestationDocument;
  readonly evidence: TdxEvidence;
  readonly source: 'configfs-tsm';
  readonly warnings: readonly string[];
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Issues TDX evidence bound to (nonce, binding). */
export async function issueTdxEvidence(request: TdxIssueRequest): Promise<TdxIssueResult> {
  const reportData = teeReportData(request.nonce, request.binding);
  const tsmRoot = request.tsmRoot ?? DEFAULT_TSM_ROOT;
  const devicePath = request.devicePath ?? DEFAULT_TDX_GUEST_DEVICE;
  let quote: Buffer;
  try {
    quote = (
      await requestTsmReport({
        inblob: reportData,
        provider: 'tdx_guest',
        root: tsmRoot,
        fs: request.tsmFs ?? nodeTsmFilesystem,
      })
    ).outblob;
  } catch (error) {
    if (!(error instanceof ConstellationError) || error.code !== CODES.TEE_UNAVAILABLE) throw error;
    const hasDevice = await pathExists(devicePath);
    throw new ConstellationError(
      CODES.TEE_UNAVAILABLE,
      hasDevice
        ? `Found ${devicePath} but no configfs-tsm at ${tsmRoot}/report: a TD quote needs configfs-tsm ` +
            `(Linux >= 6.7, CONFIG_TSM_REPORTS) and a quote generation service (QGS) on the host; ` +
            `${devicePath} alone yields only a TDREPORT, which a remote verifier cannot check.`
        : `No TDX quote interface found: looked for configfs-tsm at ${tsmRoot}/report (Linux >= 6.7, ` +
            `CONFIG_TSM_REPORTS, tdx_guest driver) and for ${devicePath}. Is this a TDX guest?`,
      { cause: error },
    );
  }
  const warnings: string[] = [];
  const ccelTablePath = request.ccelTablePath ?? DEFAULT_CCEL_TABLE_PATH;
  const ccelDataPath = request.ccelDataPath ?? DEFAULT_CCEL_DATA_PATH;
  const ccelTable = await readIfPresent(ccelTablePath);
  const ccEventLog = await readIfPresent(ccelDataPath);
  if (ccelTable === undefined || ccEventLog === undefined) {
    warnings.push(`CC event log not found (${ccelTablePath}, ${ccelDataPath}): RTMRs cannot be explained`);
  }
  const evidence: TdxEvidence = {
    quote,
    collateral: undefined,
    ccEventLog: ccEventLog ?? Buffer.alloc(0),
    ccelTable: ccelTable ?? Buffer.alloc(0),
    hclReport: Buffer.alloc(0),
  };
  return {
    document: { version: 1, variant: 'tdx', tpm: undefined, tdx: evidence },
    evidence,
    source: 'configfs-tsm',
    warnings,
  };
}

/**
 * A TDREPORT for local use (e.g. diagnostics) through /dev/tdx_guest TDX_CMD_GET_REPORT0. Not remote evidence:
 * only the local platform can check its MAC; remote verifiers need the quote from {@link issueTdxEvidence}.
 */
export async function readTdReport(request: {
  nonce: Uint8Array;
  binding: Uint8Array;
  devicePath?: string;
}): Promise<Buffer> {
  return tdxGetReport0({
    reportData: teeReportData(request.nonce, request.binding),
    devicePath: request.devicePath ?? DEFAULT_TDX_GUEST_DEVICE,
  });
}
