// image.json: what the build made (shared contract). Written last, after every file it names is in place.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileRecord {
  readonly sha256: string;
  readonly bytes: number;
}

export interface ImageManifest {
  readonly name: string;
  readonly version: string;
  readonly rootHash: string;
  readonly kernelCommandLine: string;
  readonly sourceDateEpoch: number;
  readonly files: Readonly<Record<string, FileRecord>>;
}

export function imageManifestJson(manifest: ImageManifest): string {
  const ordered = Object.fromEntries(
    Object.keys(manifest.files)
      .sort()
      .map((name) => [name, manifest.files[name]]),
  );
  return `${JSON.stringify({ ...manifest, files: ordered }, null, 2)}\n`;
}

export async function fileRecord(path: string): Promise<FileRecord> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  return { sha256: hash.digest('hex'), bytes: (await stat(path)).size };
}
