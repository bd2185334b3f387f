// The one directory a local or VM cluster keeps in its workspace (constellation-local/, constellation-mini/):
// `up` creates it only where there is none, `down` removes it whole.
import { mkdir, rm, stat } from 'node:fs/promises';

export interface ClusterDirectory {
  readonly workspace: string;
  readonly dir: string;
}

/** Creates the cluster directory (and the workspace); throws `exists()` when the workspace already has one. */
export async function createClusterDirectory(layout: ClusterDirectory, exists: () => Error): Promise<void> {
  await mkdir(layout.workspace, { recursive: true });
  try {
    await mkdir(layout.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw exists();
  }
}

/** Throws `exists()` when the workspace has a cluster directory, running or not. */
export async function assertNoClusterDirectory(layout: ClusterDirectory, exists: () => Error): Promise<void> {
  if (await directoryExists(layout.dir)) throw exists();
}

/** Removes the cluster directory; true when there was one. */
export async function removeClusterDirectory(dir: string): Promise<boolean> {
  const existed = await directoryExists(dir);
  await rm(dir, { recursive: true, force: true });
  return existed;
}

async function directoryExists(dir: string): Promise<boolean> {
  return stat(dir).then(
    () => true,
    () => false,
  );
}
