// LUKS2 token 0 marks whether the disk is bound to a cluster (runtime §7.1): the original's JSON, unchanged, so
// a disk formatted by either can be told apart the same way.
import { VerificationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES } from './state-disk.js';

export const STATE_DISK_TOKEN_ID = 0;
export const STATE_DISK_TOKEN_TYPE = 'constellation-state-disk';

export interface DiskToken {
  readonly diskIsInitialized: boolean;
}

export function serializeDiskToken(token: DiskToken): string {
  return JSON.stringify({ type: STATE_DISK_TOKEN_TYPE, keyslots: [], diskIsInitialized: token.diskIsInitialized });
}

function invalid(field: string, expected: string, found: unknown): VerificationError {
  return new VerificationError(
    STATE_DISK_ERROR_CODES.DISK_HEADER_INVALID,
    `LUKS header field ${field}: expected ${expected}, found ${found === undefined ? 'nothing' : JSON.stringify(found)}`,
  );
}

/** Exactly {"type": "constellation-state-disk", "keyslots": [], "diskIsInitialized": bool}. */
export function parseDiskToken(value: unknown, field: string): DiskToken {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object', value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['type', 'keyslots', 'diskIsInitialized'].includes(key))
      throw invalid(`${field}.${key}`, 'no such field', record[key]);
  }
  if (record.type !== STATE_DISK_TOKEN_TYPE) throw invalid(`${field}.type`, `"${STATE_DISK_TOKEN_TYPE}"`, record.type);
  // A token bound to keyslots could be used by cryptsetup to unlock them (token plugins): ours never is.
  if (!Array.isArray(record.keyslots) || record.keyslots.length !== 0) {
    throw invalid(`${field}.keyslots`, '[]', record.keyslots);
  }
  if (typeof record.diskIsInitialized !== 'boolean') {
    throw invalid(`${field}.diskIsInitialized`, 'true or false', record.diskIsInitialized);
  }
  return { diskIsInitialized: record.diskIsInitialized };
}
