// DiskUnlock: rejoin and recovery race; a key is accepted only if it opens the disk; the first opener wins.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ConstellationError } from '../../../lib/errors.js';
import { DISK_KEY_REJECTED, DiskUnlock, NODE_ALREADY_RECOVERED } from '../../../agents/bootstrapper/disk-unlock.js';

function fakeDisk(rightKey: Buffer) {
  const opened: Buffer[] = [];
  return {
    opened,
    async open(key: Buffer) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!key.equals(rightKey)) throw new ConstellationError(DISK_KEY_REJECTED, 'wrong key');
      opened.push(key);
      return { mountPoint: '/x' };
    },
  };
}

t.test('a wrong key changes nothing and the unlock keeps waiting; the right one wins once', async (t) => {
  const key = randomBytes(32);
  const disk = fakeDisk(key);
  const unlock = new DiskUnlock(disk);
  const secret = randomBytes(32);
  await t.rejects(unlock.attempt(randomBytes(32), { via: 'recovery', measurementSecret: secret }), {
    constructor: ConstellationError,
    code: DISK_KEY_REJECTED,
  });
  t.equal(unlock.isUnlocked, false);
  // Concurrent attempts are serialised: the right one wins, the later one is told the node is unlocked.
  const [first, second] = await Promise.allSettled([
    unlock.attempt(key, { via: 'rejoin', measurementSecret: secret }),
    unlock.attempt(key, { via: 'recovery', measurementSecret: secret }),
  ]);
  t.equal(first.status, 'fulfilled');
  t.match(second, { status: 'rejected', reason: { code: NODE_ALREADY_RECOVERED } });
  t.same(disk.opened.length, 1);
  t.match(await unlock.unlocked, { via: 'rejoin' });
});
