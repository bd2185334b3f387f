// The StateDisk contract, asserted identically for every backend (directory and LUKS2). `instance()` returns a
// new StateDisk object on the same storage, as a reboot would; `snapshot()` returns the bytes that hold the
// header and key material, to prove that a refused operation changed nothing.
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import type { StateDisk } from '../../../lib/disk/index.js';

export interface StateDiskFixture {
  instance(): Promise<StateDisk>;
  snapshot(): Promise<Buffer>;
}

type Setup = (t: Test) => Promise<StateDiskFixture>;

/** The public cluster hint bindClusterKey stores with the key. */
const HINT = { measurementSalt: Buffer.alloc(32, 0x5a), clusterId: Buffer.alloc(32, 0xc1) };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function stateDiskContract(t: Test, setup: Setup): void {
  t.test('blank → prepareNew → pending (open, writable) → bindClusterKey → initialized', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    t.same(await disk.probe(), { status: 'blank' });
    const { uuid } = await disk.prepareNew();
    t.match(uuid, UUID);
    t.same(await disk.probe(), { status: 'pending', uuid });
    await writeFile(join(disk.mountPoint, 'node-state.json'), '{}');
    const key = randomBytes(32);
    await disk.bindClusterKey(key, HINT);
    t.same(await disk.probe(), { status: 'initialized', uuid, clusterHint: HINT });
    t.equal(await readFile(join(disk.mountPoint, 'node-state.json'), 'utf8'), '{}');
    await disk.close();
    t.same(
      await (await fixture.instance()).probe(),
      { status: 'initialized', uuid, clusterHint: HINT },
      'survives a reboot',
    );
  });

  t.test('an initialized disk is never reformatted; prepareNew leaves it as it was', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    const { uuid } = await disk.prepareNew();
    await disk.bindClusterKey(randomBytes(32), HINT);
    await disk.close();
    const before = await fixture.snapshot();
    const rebooted = await fixture.instance();
    await t.rejects(rebooted.prepareNew(), { constructor: ConstellationError, code: 'DISK_ALREADY_INITIALIZED' });
    t.same(await rebooted.probe(), { status: 'initialized', uuid, clusterHint: HINT });
    t.ok((await fixture.snapshot()).equals(before), 'header bytes unchanged');
  });

  t.test(
    'open with the cluster key after a reboot; a wrong key is DISK_KEY_REJECTED and changes nothing',
    async (t) => {
      const fixture = await setup(t);
      const disk = await fixture.instance();
      const { uuid } = await disk.prepareNew();
      const key = randomBytes(32);
      await disk.bindClusterKey(key, HINT);
      await disk.close();
      const before = await fixture.snapshot();
      const rebooted = await fixture.instance();
      const wrong = Buffer.from(key);
      wrong[0] = (wrong[0] ?? 0) ^ 1;
      await t.rejects(rebooted.open(wrong), { constructor: ConstellationError, code: 'DISK_KEY_REJECTED' });
      t.ok((await fixture.snapshot()).equals(before), 'header bytes unchanged after a wrong key');
      t.same(await rebooted.probe(), { status: 'initialized', uuid, clusterHint: HINT });
      t.same(await rebooted.open(key), { mountPoint: rebooted.mountPoint });
      await rebooted.close();
    },
  );

  t.test('a pending disk is reformatted by prepareNew with a new UUID and cannot be opened', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    const first = await disk.prepareNew();
    await t.rejects(disk.open(randomBytes(32)), { constructor: ConstellationError, code: 'DISK_NOT_INITIALIZED' });
    await disk.close();
    const rebooted = await fixture.instance();
    t.same(await rebooted.probe(), { status: 'pending', uuid: first.uuid });
    const second = await rebooted.prepareNew();
    t.not(second.uuid, first.uuid);
    t.same(await rebooted.probe(), { status: 'pending', uuid: second.uuid });
  });

  t.test('bindClusterKey needs prepareNew in this process (the initial key lives only in memory)', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    const { uuid } = await disk.prepareNew();
    await disk.close();
    const rebooted = await fixture.instance();
    const before = await fixture.snapshot();
    await t.rejects(rebooted.bindClusterKey(randomBytes(32), HINT), {
      constructor: ConstellationError,
      code: 'DISK_NOT_PREPARED',
    });
    t.same(await rebooted.probe(), { status: 'pending', uuid });
    t.ok((await fixture.snapshot()).equals(before));
    const key = randomBytes(32);
    await disk.bindClusterKey(key, HINT);
    await t.rejects(disk.bindClusterKey(key, HINT), { constructor: ConstellationError, code: 'DISK_NOT_PREPARED' });
  });

  t.test('markForReset: initialized → pending; the next prepareNew formats; the old key opens nothing', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    const { uuid } = await disk.prepareNew();
    const key = randomBytes(32);
    await disk.bindClusterKey(key, HINT);
    await disk.markForReset();
    t.same(await disk.probe(), { status: 'pending', uuid, clusterHint: HINT }, 'the hint stays until a reformat');
    await disk.close();
    const rebooted = await fixture.instance();
    await t.rejects(rebooted.open(key), { constructor: ConstellationError, code: 'DISK_NOT_INITIALIZED' });
    const fresh = await rebooted.prepareNew();
    t.not(fresh.uuid, uuid);
    await rebooted.close();
    const again = await fixture.instance();
    await again.markForReset();
    t.same(await again.probe(), { status: 'pending', uuid: fresh.uuid }, 'markForReset on pending is a no-op');
  });

  t.test('rekey: the new key opens, the old one no longer does; a wrong old key changes nothing', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    await disk.prepareNew();
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await disk.bindClusterKey(oldKey, HINT);
    const before = await fixture.snapshot();
    await t.rejects(disk.rekey(randomBytes(32), newKey), {
      constructor: ConstellationError,
      code: 'DISK_KEY_REJECTED',
    });
    t.ok((await fixture.snapshot()).equals(before));
    await disk.rekey(oldKey, newKey);
    await disk.close();
    const rebooted = await fixture.instance();
    await t.rejects(rebooted.open(oldKey), { code: 'DISK_KEY_REJECTED' });
    t.same(await rebooted.open(newKey), { mountPoint: rebooted.mountPoint });
    await rebooted.close();
  });

  t.test('cluster hint: bound with the key, survives a reboot, equal rewrite changes nothing', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    const { uuid } = await disk.prepareNew();
    const hint = { measurementSalt: randomBytes(32), clusterId: randomBytes(32) };
    await t.rejects(disk.writeClusterHint(hint), { constructor: ConstellationError, code: 'DISK_NOT_INITIALIZED' });
    t.same(await disk.probe(), { status: 'pending', uuid }, 'no hint on a pending disk');
    await disk.bindClusterKey(randomBytes(32), hint);
    await disk.close();
    const rebooted = await fixture.instance();
    t.same(await rebooted.probe(), { status: 'initialized', uuid, clusterHint: hint }, 'readable before open');
    const before = await fixture.snapshot();
    await rebooted.writeClusterHint({ measurementSalt: Buffer.from(hint.measurementSalt), clusterId: hint.clusterId });
    t.ok((await fixture.snapshot()).equals(before), 'an equal hint is not written again');
    const other = { measurementSalt: randomBytes(32), clusterId: randomBytes(32) };
    await rebooted.writeClusterHint(other);
    t.same(await rebooted.probe(), { status: 'initialized', uuid, clusterHint: other });
    await rebooted.markForReset();
    const fresh = await rebooted.prepareNew();
    t.same(await rebooted.probe(), { status: 'pending', uuid: fresh.uuid }, 'a reformat forgets the hint');
    await rebooted.close();
  });

  t.test('keys are validated at the edge: not a Buffer, too short', async (t) => {
    const fixture = await setup(t);
    const disk = await fixture.instance();
    await disk.prepareNew();
    for (const bad of [Buffer.alloc(0), Buffer.alloc(8), 'a string key' as unknown as Buffer]) {
      await t.rejects(disk.bindClusterKey(bad, HINT), { constructor: InputError, code: 'INVALID_ARGUMENT' });
      await t.rejects(disk.open(bad), { constructor: InputError, code: 'INVALID_ARGUMENT' });
    }
    t.equal((await disk.probe()).status, 'pending');
  });
}
