// The image's file tree (image/mkosi.extra), for tests that check what the image ships against the code it serves.
import { readFile } from 'node:fs/promises';

/** The URL of `path` (relative, e.g. "etc/udev/rules.d/") in image/mkosi.extra. */
export function imageTreeUrl(path: string): URL {
  return new URL(`../../image/mkosi.extra/${path}`, import.meta.url);
}

/** The text of `path` in image/mkosi.extra. */
export function readImageFile(path: string): Promise<string> {
  return readFile(imageTreeUrl(path), 'utf8');
}
