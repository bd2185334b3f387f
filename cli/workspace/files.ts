// The workspace's files: their names, and the one way to write them. Every write goes to a temporary file in
// the same directory, is flushed to disk and then moved into place, so a reader (or a crash) sees either the
// old content or the new one, never half of it. A file is replaced only when the caller says so.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../lib/errors.js';
import { MASTER_SECRET_FILE_NAME } from '../../lib/crypto/master-secret.js';

export const WORKSPACE_FILES = {
  config: 'constellation-conf.yaml',
  state: 'constellation-state.json',
  masterSecret: MASTER_SECRET_FILE_NAME,
  id: 'constellation-id.json',
  adminConf: 'constellation-admin.conf',
} as const;
export type WorkspaceFile = keyof typeof WORKSPACE_FILES;

export const WORKSPACE_ERROR_CODES = {
  /** Refused to replace a workspace file (pass --force, or move it away). */
  WORKSPACE_FILE_EXISTS: 'WORKSPACE_FILE_EXISTS',
  /** A workspace file the command needs is absent. */
  WORKSPACE_FILE_MISSING: 'WORKSPACE_FILE_MISSING',
  /** A workspace file exists but cannot be read or written. */
  WORKSPACE_FILE_UNUSABLE: 'WORKSPACE_FILE_UNUSABLE',
} as const;

export interface WriteOptions {
  /** Mode 0600 (master secret, kubeconfig, state with the init secret). Default 0644. */
  readonly secret?: boolean;
  /** Replace an existing file. Default false: an existing file is an error (WORKSPACE_FILE_EXISTS). */
  readonly overwrite?: boolean;
}

/** Absolute path of a workspace file. */
export function workspacePath(workspace: string, file: WorkspaceFile): string {
  return resolve(workspace, WORKSPACE_FILES[file]);
}

function errnoOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
}

/**
 * Writes `data` to `path` atomically. Without `overwrite`, the new file is hard-linked into place: link()
 * fails with EEXIST rather than replacing, so even a concurrent writer cannot be overwritten silently.
 */
export async function writeWorkspaceFile(
  path: string,
  data: string | Buffer,
  options: WriteOptions = {},
): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', options.secret === true ? 0o600 : 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite === true) await rename(temporary, path);
    else await link(temporary, path);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST' && options.overwrite !== true) {
      throw new InputError(
        WORKSPACE_ERROR_CODES.WORKSPACE_FILE_EXISTS,
        `Expected no file at ${path}, found one; refusing to overwrite it (move it away first${path.endsWith('.yaml') ? ', or pass --force' : ''})`,
      );
    }
    throw new InputError(
      WORKSPACE_ERROR_CODES.WORKSPACE_FILE_UNUSABLE,
      `Expected to write ${path}, found the write failing (${errnoOf(error)}); check that ${directory} exists and is writable`,
      { cause: error },
    );
  } finally {
    await rm(temporary, { force: true });
  }
  await syncDirectory(directory);
}

/** The rename/link is durable only once the directory entry is on disk. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the write itself already succeeded.
  } finally {
    await handle.close();
  }
}

/** Reads a workspace file; WORKSPACE_FILE_MISSING names the file and the command that creates it. */
export async function readWorkspaceFile(path: string, createdBy: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') {
      throw new InputError(
        WORKSPACE_ERROR_CODES.WORKSPACE_FILE_MISSING,
        `Expected ${path}, found no such file; ${createdBy} creates it (or pass --workspace <dir>)`,
      );
    }
    throw new InputError(
      WORKSPACE_ERROR_CODES.WORKSPACE_FILE_UNUSABLE,
      `Expected to read ${path}, found it unreadable (${errnoOf(error)})`,
      { cause: error },
    );
  }
}

/** True when something exists at `path`; used to refuse early, before anything is changed. */
export async function workspaceFileExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}
