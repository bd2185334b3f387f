// TypeScript face of the tee_guest addon (native/src/tee-guest.cc): the legacy /dev/sev-guest and /dev/tdx_guest
// ioctls, used by the issuers only when configfs-tsm is absent. Validates every argument here, loads the .node
// file lazily through the shared loader (TpmError NATIVE_LOAD_FAILED when it cannot) and turns native failures
// into ConstellationErrors that keep the caller's stack.
import { ConstellationError, invalidArgument } from '../lib/errors.js';
import { loadAddon } from './loader.js';

export const TEE_GUEST_ERROR_CODES = {
  /** The guest device is not there: not a confidential VM of this kind, or the driver is not loaded. */
  TEE_UNAVAILABLE: 'TEE_UNAVAILABLE',
  /** The ioctl failed without a firmware status (errno only). */
  TEE_IOCTL_FAILED: 'TEE_IOCTL_FAILED',
  /** The SNP firmware or the host (VMM) rejected the request; `fwError` / `vmmError` say why. */
  TEE_FIRMWARE_ERROR: 'TEE_FIRMWARE_ERROR',
} as const;
export type TeeGuestErrorCode = (typeof TEE_GUEST_ERROR_CODES)[keyof typeof TEE_GUEST_ERROR_CODES];

/** A failed guest-device call; errno and the SNP firmware/VMM error words are kept for diagnosis. */
export class TeeDeviceError extends ConstellationError {
  readonly errno: number;
  readonly fwError: number;
  readonly vmmError: number;

  constructor(
    code: TeeGuestErrorCode,
    message: string,
    details: { errno?: number; fwError?: number; vmmError?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.errno = details.errno ?? 0;
    this.fwError = details.fwError ?? 0;
    this.vmmError = details.vmmError ?? 0;
  }
}

export const DEFAULT_SEV_GUEST_DEVICE = '/dev/sev-guest';
export const DEFAULT_TDX_GUEST_DEVICE = '/dev/tdx_guest';
export const REPORT_DATA_LENGTH = 64;
export const TDREPORT_LENGTH = 1024;
/** Initial SNP certificate buffer: 4 pages; the addon retries once with the size the host asks for. */
export const DEFAULT_SNP_CERTS_LENGTH = 4 * 4096;
/** Largest certificate buffer accepted (the addon's cap, so a hostile host cannot make us allocate without bound). */
export const MAX_SNP_CERTS_LENGTH = 64 * 4096;

interface TeeGuestAddon {
  snpGetReport(
    path: string,
    reportData: Buffer,
    vmpl: number,
    extended: boolean,
    certsLen: number,
  ): Promise<{ report: Buffer; certs?: Buffer }>;
  tdxGetReport0(path: string, reportData: Buffer): Promise<Buffer>;
  readonly ioctls: { SNP_GET_REPORT: number; SNP_GET_EXT_REPORT: number; TDX_CMD_GET_REPORT0: number };
}

const TEE_GUEST_ADDON_FILE = 'tee_guest.node';
let addon: TeeGuestAddon | undefined;

/** Loads the addon once (lazily, so importing this module works on machines without a build). */
function teeGuestAddon(): TeeGuestAddon {
  addon ??= loadAddon(TEE_GUEST_ADDON_FILE) as TeeGuestAddon;
  return addon;
}

/** The ioctl request numbers the addon was compiled with (for ABI tests). */
export function teeGuestIoctls(): TeeGuestAddon['ioctls'] {
  return teeGuestAddon().ioctls;
}

interface NativeFailure {
  code?: unknown;
  message?: unknown;
  errno?: unknown;
  fwError?: unknown;
  vmmError?: unknown;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** Maps a rejection from the addon to a TeeDeviceError whose stack is the caller's, not the worker's. */
function nativeFailure(error: unknown, stackHolder: Error, what: string, kernelHint: string): TeeDeviceError {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NativeFailure;
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  let mapped: TeeDeviceError;
  if (failure.code === 'TEE_DEVICE_UNAVAILABLE') {
    mapped = new TeeDeviceError(
      'TEE_UNAVAILABLE',
      `Expected ${what} to be available, but it is not: ${message}. ${kernelHint}`,
      { errno: numberOr0(failure.errno) },
      { cause: error },
    );
  } else {
    const code = failure.code === 'TEE_FIRMWARE_ERROR' ? 'TEE_FIRMWARE_ERROR' : 'TEE_IOCTL_FAILED';
    mapped = new TeeDeviceError(
      code,
      message,
      { errno: numberOr0(failure.errno), fwError: numberOr0(failure.fwError), vmmError: numberOr0(failure.vmmError) },
      { cause: error },
    );
  }
  mapped.stack = `${mapped.name}: ${mapped.message}\n${stackHolder.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return mapped;
}

function checkDevicePath(devicePath: unknown): string {
  if (typeof devicePath !== 'string' || devicePath.length === 0 || devicePath.includes('\0')) {
    throw invalidArgument('devicePath', 'a non-empty device path', devicePath);
  }
  return devicePath;
}

function checkReportData(reportData: unknown): Buffer {
  if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
    throw invalidArgument('reportData', `${REPORT_DATA_LENGTH} bytes`, reportData);
  }
  return Buffer.from(reportData);
}

export interface SnpIoctlRequest {
  /** 64 bytes the report carries in REPORT_DATA. */
  readonly reportData: Uint8Array;
  /** VMPL the report is requested for (0..3; default 0). */
  readonly vmpl?: number;
  /** SNP_GET_EXT_REPORT (report + host certificate table) instead of SNP_GET_REPORT (default true). */
  readonly extended?: boolean;
  /** Initial certificate buffer size in bytes (rounded up to pages; default 16 KiB). */
  readonly certsLength?: number;
  readonly devicePath?: string;
}

export interface SnpIoctlResult {
  /** The attestation report (normally 1184 bytes), without the 32-byte MSG_REPORT_RSP header. */
  readonly report: Buffer;
  /** The host's certificate table (GUID-indexed; all zero when the host supplies none); extended only. */
  readonly certs?: Buffer;
}

/** An SEV-SNP attestation report from /dev/sev-guest (SNP_GET_EXT_REPORT or SNP_GET_REPORT). */
export async function snpGetReport(request: SnpIoctlRequest): Promise<SnpIoctlResult> {
  const devicePath = checkDevicePath(request.devicePath ?? DEFAULT_SEV_GUEST_DEVICE);
  const reportData = checkReportData(request.reportData);
  const vmpl = request.vmpl ?? 0;
  if (!Number.isInteger(vmpl) || vmpl < 0 || vmpl > 3) throw invalidArgument('vmpl', 'an integer 0..3', vmpl);
  const extended = request.extended ?? true;
  if (typeof extended !== 'boolean') throw invalidArgument('extended', 'a boolean', extended);
  const certsLength = request.certsLength ?? DEFAULT_SNP_CERTS_LENGTH;
  if (!Number.isInteger(certsLength) || certsLength < 0 || certsLength > MAX_SNP_CERTS_LENGTH) {
    throw invalidArgument('certsLength', `an integer 0..${MAX_SNP_CERTS_LENGTH}`, certsLength);
  }
  const native = teeGuestAddon();
  const stackHolder = new Error();
  try {
    const result = await native.snpGetReport(devicePath, reportData, vmpl, extended, certsLength);
    return result.certs === undefined ? { report: result.report } : { report: result.report, certs: result.certs };
  } catch (error) {
    throw nativeFailure(
      error,
      stackHolder,
      `the SEV-SNP guest device ${devicePath}`,
      'It needs an SEV-SNP guest with the sev-guest driver (Linux >= 5.19, CONFIG_SEV_GUEST).',
    );
  }
}

/**
 * A TDREPORT from /dev/tdx_guest (TDX_CMD_GET_REPORT0). A TDREPORT is MAC'd for the local platform only: a
 * remote verifier cannot check it. A TD quote needs configfs-tsm (Linux >= 6.7) and a quote generation service.
 */
export async function tdxGetReport0(request: { reportData: Uint8Array; devicePath?: string }): Promise<Buffer> {
  const devicePath = checkDevicePath(request.devicePath ?? DEFAULT_TDX_GUEST_DEVICE);
  const reportData = checkReportData(request.reportData);
  const native = teeGuestAddon();
  const stackHolder = new Error();
  try {
    return await native.tdxGetReport0(devicePath, reportData);
  } catch (error) {
    throw nativeFailure(
      error,
      stackHolder,
      `the TDX guest device ${devicePath}`,
      'It needs a TDX guest with the tdx-guest driver (Linux >= 6.2, CONFIG_TDX_GUEST_DRIVER).',
    );
  }
}
