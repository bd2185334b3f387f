// The PCR policy of a VM cluster: the image's signed measurements file, its signature verified with the release
// key BEFORE any of it is used (lib/image). Nothing unsigned or signed by another key becomes policy.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImagePolicyJson } from '../../lib/boot/image-policy.js';
import { ConstellationError } from '../../lib/errors.js';
import {
  measurementsPolicy,
  parseReleasePublicKey,
  verifyMeasurements,
  type Measurements,
} from '../../lib/image/index.js';

export interface ImageMeasurements {
  readonly measurements: Measurements;
  readonly policy: ImagePolicyJson;
  readonly file: string;
  readonly releaseKeyFile: string;
}

/** Reads `<image>/measurements.json` and verifies it with `releaseKeyFile` (default `<image>/release-key.pub.pem`). */
export async function imageMeasurements(imageDir: string, releaseKeyFile?: string): Promise<ImageMeasurements> {
  const file = join(imageDir, 'measurements.json');
  const keyFile = releaseKeyFile ?? join(imageDir, 'release-key.pub.pem');
  const [bytes, keyPem] = await Promise.all([read(file, 'the image measurements'), read(keyFile, 'the release key')]);
  const measurements = verifyMeasurements(bytes, [parseReleasePublicKey(keyPem, keyFile)], file);
  return { measurements, policy: measurementsPolicy(measurements), file, releaseKeyFile: keyFile };
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ConstellationError(
      'MINI_MEASUREMENTS_MISSING',
      `Expected ${what} at ${path}, found: ${(error as Error).message}; build the image (it writes both) or pass --release-key`,
      { cause: error },
    );
  }
}
