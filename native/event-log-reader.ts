// Reads the firmware's TCG event log from securityfs. Parsing lives in lib/attestation/eventlog.
import { readFile } from 'node:fs/promises';
import { TpmError } from '../lib/errors.js';
import { invalidArgument } from '../lib/errors.js';

export const DEFAULT_EVENT_LOG_PATH = '/sys/kernel/security/tpm0/binary_bios_measurements';

function reason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'reading it was not permitted (the event log is root-only)';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

/** The raw event log bytes; TpmError('EVENT_LOG_UNAVAILABLE') when it is missing, unreadable or empty. */
export async function readEventLog(path: string = DEFAULT_EVENT_LOG_PATH): Promise<Buffer> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'non-empty string', path);
  const hint =
    'securityfs must be mounted (mount -t securityfs securityfs /sys/kernel/security) and the kernel must have a TPM';
  let log: Buffer;
  try {
    log = await readFile(path);
  } catch (error) {
    throw new TpmError(
      'EVENT_LOG_UNAVAILABLE',
      `Expected a TCG event log at ${path} but ${reason(error)}; ${hint}`,
      {},
      {
        cause: error,
      },
    );
  }
  if (log.length === 0) {
    throw new TpmError('EVENT_LOG_UNAVAILABLE', `Expected a TCG event log at ${path} but the file is empty; ${hint}`);
  }
  return log;
}
