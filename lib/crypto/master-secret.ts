// The cluster's master secret: the root of every key the KMS derives (disk keys, measurement secret, admin
// signing key). Stored as `constellation-mastersecret.json` = {"key": base64, "salt": base64}, the original's
// format, so existing files keep working. Written once, atomically, mode 0600, and never overwritten.
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

export interface MasterSecret {
  /** HKDF input keying material; 32 bytes when we generate it, at least 16 accepted (the original's minimum). */
  readonly key: Buffer;
  /** HKDF salt; 32 bytes when we generate it, at least 32 accepted. */
  readonly salt: Buffer;
}

export const MASTER_SECRET_FILE_NAME = 'constellation-mastersecret.json';
export const MASTER_SECRET_KEY_LENGTH = 32;
export const MASTER_SECRET_SALT_LENGTH = 32;
export const MASTER_SECRET_KEY_MIN_LENGTH = 16;
export const MASTER_SECRET_SALT_MIN_LENGTH = 32;

export const MASTER_SECRET_ERROR_CODES = {
  /** The file does not exist (yet). */
  MASTER_SECRET_MISSING: 'MASTER_SECRET_MISSING',
  /** The file exists but is not a master secret: bad JSON, a field missing, not base64, too short. */
  MASTER_SECRET_INVALID: 'MASTER_SECRET_INVALID',
  /** Refused to write: a master secret is already there (losing it loses every disk). */
  MASTER_SECRET_EXISTS: 'MASTER_SECRET_EXISTS',
  /** The directory is missing or not writable. */
  MASTER_SECRET_WRITE_FAILED: 'MASTER_SECRET_WRITE_FAILED',
} as const;

/** A fresh master secret from the system CSPRNG. */
export function generateMasterSecret(): MasterSecret {
  return { key: randomBytes(MASTER_SECRET_KEY_LENGTH), salt: randomBytes(MASTER_SECRET_SALT_LENGTH) };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeField(document: Record<string, unknown>, field: 'key' | 'salt', minLength: number, source: string) {
  const value = document[field];
  if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 !== 0) {
    throw new InputError(
      'MASTER_SECRET_INVALID',
      `Expected "${field}" in ${source} to be a standard base64 string but found ${value === undefined ? 'no such field' : typeof value === 'string' ? 'a string that is not base64' : `a ${typeof value}`}`,
    );
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < minLength) {
    throw new InputError(
      'MASTER_SECRET_INVALID',
      `Expected "${field}" in ${source} to hold at least ${minLength} bytes but found ${bytes.length}`,
    );
  }
  return bytes;
}

/** Parses the JSON form; errors name the field and the problem, never the value. */
export function parseMasterSecret(text: string, source = 'the master secret'): MasterSecret {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new InputError(
      'MASTER_SECRET_INVALID',
      `Expected ${source} to be JSON {"key": base64, "salt": base64} but it does not parse`,
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new InputError(
      'MASTER_SECRET_INVALID',
      `Expected ${source} to be a JSON object {"key": base64, "salt": base64}`,
    );
  }
  const record = document as Record<string, unknown>;
  return {
    key: decodeField(record, 'key', MASTER_SECRET_KEY_MIN_LENGTH, source),
    salt: decodeField(record, 'salt', MASTER_SECRET_SALT_MIN_LENGTH, source),
  };
}

/** The JSON file content for `secret`. */
export function serializeMasterSecret(secret: MasterSecret): string {
  return `${JSON.stringify({ key: secret.key.toString('base64'), salt: secret.salt.toString('base64') })}\n`;
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** Reads and validates the file; MASTER_SECRET_MISSING when it is absent, MASTER_SECRET_INVALID when malformed. */
export async function readMasterSecret(path: string): Promise<MasterSecret> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new InputError('MASTER_SECRET_MISSING', `Expected a master secret file at ${path} but there is none`);
    }
    throw new InputError('MASTER_SECRET_INVALID', `Expected a readable master secret file at ${path}`, {
      cause: error,
    });
  }
  return parseMasterSecret(text, path);
}

/**
 * Writes `secret` to `path` with mode 0600. The content goes to a temporary file in the same directory first and
 * is then hard-linked into place: link() fails with EEXIST instead of replacing, so an existing master secret is
 * never overwritten, even by a concurrent writer, and a reader never sees a half-written file.
 */
export async function writeMasterSecret(path: string, secret: MasterSecret): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, serializeMasterSecret(secret), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
    throw new InputError(
      'MASTER_SECRET_WRITE_FAILED',
      `Expected to write a master secret in ${dirname(path)} but could not (${code}); check the directory exists and is writable`,
      { cause: error },
    );
  }
  try {
    await link(temporary, path);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) {
      throw new InputError(
        'MASTER_SECRET_EXISTS',
        `Expected no file at ${path} but a master secret is already there; refusing to overwrite it (move it away first if you really mean to replace it)`,
      );
    }
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
