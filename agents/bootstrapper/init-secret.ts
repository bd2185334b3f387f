// The init secret check, the very first thing Init does (constellation-runtime.md §11 item 2: the original
// streamed the node's whole journal to anyone with a wrong secret). SHA-256 of the presented secret is compared
// in constant time with the hash the (untrusted) metadata service publishes: an attacker who controls the metadata
// can make Init accept its own secret, but Init only ever receives secrets from its caller; the caller's real
// protection is that it attests this node before sending anything.
import { createHash, timingSafeEqual } from 'node:crypto';
import { PolicyError } from '../../lib/errors.js';

export const INIT_SECRET_INVALID = 'INIT_SECRET_INVALID';

export function checkInitSecret(presented: Buffer, expectedSha256: Buffer): void {
  const digest = createHash('sha256').update(presented).digest();
  // Length mismatch only reveals that the metadata hash is malformed, which is public.
  const matches = expectedSha256.length === digest.length && timingSafeEqual(digest, expectedSha256);
  if (!matches || presented.length === 0) {
    throw new PolicyError(
      INIT_SECRET_INVALID,
      'Expected the init secret of this cluster, found a different one; use the initSecret from constellation-state.json',
    );
  }
}
