// Files under the Kubernetes state directory: names from the network (JoinService material) are validated as plain
// relative paths before they touch the file system, and every write is atomic (temp file + rename) so a crash never
// leaves half a key. Keys are 0600, everything else 0644.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { ControlPlaneFile } from './kubernetes-layer.js';

export const MAX_CONTROL_PLANE_FILES = 64;
export const MAX_FILE_BYTES = 1024 * 1024;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const MAX_DEPTH = 4;

/** "pki/ca.crt" style: 1-4 segments of [A-Za-z0-9._-], no leading dot, no "..", not absolute. */
export function checkRelativePath(name: unknown, field = 'file name'): string {
  if (typeof name !== 'string') throw invalidArgument(field, 'a relative path like pki/ca.crt', name);
  const segments = name.split('/');
  if (segments.length > MAX_DEPTH || !segments.every((segment) => SEGMENT.test(segment))) {
    throw invalidArgument(field, `a relative path of 1-${MAX_DEPTH} segments [A-Za-z0-9._-] (no "..")`, name);
  }
  return name;
}

export function checkControlPlaneFiles(files: readonly ControlPlaneFile[]): readonly ControlPlaneFile[] {
  const list: unknown = files;
  if (!Array.isArray(list) || files.length > MAX_CONTROL_PLANE_FILES) {
    throw invalidArgument('controlPlaneFiles', `an array of at most ${MAX_CONTROL_PLANE_FILES} files`, files);
  }
  const seen = new Set<string>();
  files.forEach((file, index) => {
    const name = checkRelativePath(file.name, `controlPlaneFiles[${index}].name`);
    if (seen.has(name)) throw invalidArgument(`controlPlaneFiles[${index}].name`, 'a name used once', name);
    seen.add(name);
    if (!Buffer.isBuffer(file.data) || file.data.length > MAX_FILE_BYTES) {
      throw invalidArgument(
        `controlPlaneFiles[${index}].data`,
        `a Buffer of at most ${MAX_FILE_BYTES} bytes`,
        file.data,
      );
    }
  });
  return files;
}

function isSecret(name: string): boolean {
  return name.endsWith('.key') || name.endsWith('.conf');
}

export async function writeStateFile(stateDir: string, name: string, data: Buffer): Promise<void> {
  const path = join(stateDir, checkRelativePath(name));
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { mode: isSecret(name) ? 0o600 : 0o644, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The file's bytes, or undefined when it does not exist. */
export async function readStateFile(stateDir: string, name: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(stateDir, checkRelativePath(name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
