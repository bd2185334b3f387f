// A stable digest of build inputs (files and directory trees): relative path, type, mode and content or link
// target, in sorted order. It keys the stage cache, so anything that changes an output must change the digest.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** sha256 hex over `paths` (files or directories; a missing path counts as "absent"). */
export async function digestPaths(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(`root\0${path}\0`);
    await digestEntry(hash, path, '.');
  }
  return hash.digest('hex');
}

/** sha256 hex over a JSON-able description (stage keys: the inputs' digests plus every option). */
export function digestValue(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

async function digestEntry(hash: Hash, path: string, relative: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) {
    hash.update(`absent\0${relative}\0`);
    return;
  }
  const mode = (info.mode & 0o7777).toString(8);
  if (info.isSymbolicLink()) {
    hash.update(`link\0${relative}\0${await readlink(path)}\0`);
  } else if (info.isDirectory()) {
    hash.update(`dir\0${relative}\0${mode}\0`);
    const names = (await readdir(path)).sort();
    for (const name of names) await digestEntry(hash, join(path, name), `${relative}/${name}`);
  } else if (info.isFile()) {
    hash.update(`file\0${relative}\0${mode}\0${String(info.size)}\0`);
    await new Promise<void>((resolve, reject) => {
      createReadStream(path)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', resolve)
        .on('error', reject);
    });
  } else {
    hash.update(`other\0${relative}\0${mode}\0`);
  }
}
