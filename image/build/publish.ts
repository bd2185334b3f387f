// Puts build results into out/image without a moment where a name is missing or half written: each file goes to
// `<name>.tmp-<pid>` first and is renamed over the old one.
import { chmod, copyFile, link, rename, rm, stat, writeFile } from 'node:fs/promises';

/**
 * Publishes `source` at `target`, as a hard link (large files from the stage cache, read-only) or a copy. When
 * `target` already is a link to the same file (a cached stage published again), rename(2) does nothing and
 * reports success, leaving the temporary name behind: it is removed afterwards (each one kept a whole old disk
 * image alive, 351 MiB, until it was).
 */
export async function publish(source: string, target: string, how: 'link' | 'copy'): Promise<void> {
  const temporary = `${target}.tmp-${String(process.pid)}`;
  await rm(temporary, { force: true });
  if (how === 'link') {
    await chmod(source, 0o444);
    await link(source, temporary);
  } else {
    await copyFile(source, temporary);
    await chmod(temporary, (await stat(source)).mode & 0o111 ? 0o755 : 0o644);
  }
  await rename(temporary, target);
  await rm(temporary, { force: true });
}

export async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${String(process.pid)}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
