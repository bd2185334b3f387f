// Makes the mkosi tree reproducible and node-shaped before it is frozen into the read-only root: drops state that
// differs between two builds of the same packages (logs, caches, apt lists, machine ids, password-change dates) and
// that a node never uses (the initrd lives in the UKI; /var is a fresh tmpfs at runtime: systemd.volatile=state).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories whose content is removed (the directories stay). */
// /var: systemd.volatile=state mounts an empty tmpfs there at boot, so what dpkg left in it only costs determinism.
const EMPTIED = ['var', 'tmp'];
/** Files removed outright. */
const REMOVED = ['etc/.pwd.lock', 'etc/shadow-', 'etc/gshadow-', 'etc/passwd-', 'etc/group-'];

export async function normalizeRootTree(tree: string, sourceDateEpoch: number): Promise<void> {
  for (const dir of EMPTIED) {
    const path = join(tree, dir);
    for (const entry of await readdir(path).catch(() => [] as string[])) {
      await rm(join(path, entry), { recursive: true, force: true });
    }
  }
  for (const file of REMOVED) await rm(join(tree, file), { force: true });
  for (const entry of await readdir(join(tree, 'boot')).catch(() => [] as string[])) {
    if (entry.startsWith('initrd.img')) await rm(join(tree, 'boot', entry), { force: true });
  }
  // An empty machine-id: systemd creates a transient one at boot on the read-only root.
  await writeFile(join(tree, 'etc/machine-id'), '');
  const shadow = join(tree, 'etc/shadow');
  const content = await readFile(shadow, 'utf8').catch(() => undefined);
  if (content !== undefined) await writeFile(shadow, withPasswordChangeDay(content, sourceDateEpoch), { mode: 0o640 });
  await mkdir(join(tree, 'usr/share/constellation'), { recursive: true });
}

/** Sets every account's "last password change" (days since 1970) to the day of SOURCE_DATE_EPOCH. */
export function withPasswordChangeDay(shadow: string, sourceDateEpoch: number): string {
  const day = String(Math.floor(sourceDateEpoch / 86_400));
  return shadow
    .split('\n')
    .map((line) => {
      const fields = line.split(':');
      if (fields.length < 3 || fields[2] === '') return line;
      fields[2] = day;
      return fields.join(':');
    })
    .join('\n');
}
