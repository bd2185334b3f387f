// The release key that signs measurements.json: Ed25519, created on the first build, never in git or the image.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/index.js';

export const RELEASE_KEY = 'release-key.pem';
export const RELEASE_PUBLIC_KEY = 'release-key.pub.pem';

export interface ReleaseKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export async function ensureReleaseKey(outDir: string, logger: Logger): Promise<ReleaseKey> {
  const privatePath = join(outDir, RELEASE_KEY);
  const existing = await readFile(privatePath).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  let privateKey: KeyObject;
  if (existing === undefined) {
    logger.info(`creating the release key ${privatePath} (Ed25519; keep it out of git)`);
    privateKey = generateKeyPairSync('ed25519').privateKey;
    // 'wx': never overwrite a key another build created meanwhile.
    await writeFile(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } else {
    privateKey = createPrivateKey(existing);
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new ConstellationError(
        'IMAGE_BUILD_INPUT_INVALID',
        `Expected an Ed25519 release key in ${privatePath}, found ${String(privateKey.asymmetricKeyType)}: move it away to create a new one`,
      );
    }
  }
  const publicKey = createPublicKey(privateKey);
  await writeFile(join(outDir, RELEASE_PUBLIC_KEY), publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey };
}
