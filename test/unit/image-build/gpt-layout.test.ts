// The boot disk plan: MiB-aligned partitions back to back, DPS types, verity UUIDs from the root hash.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { DISK_GUID, espBytesFor, PARTITION_TYPES, planDisk, sfdiskScript } from '../../../image/build/gpt-layout.js';

const MIB = 1024 * 1024;
const parts = {
  espBytes: 64 * MIB,
  rootBytes: 300 * MIB + 4096,
  verityBytes: 2 * MIB + 1,
  rootUuid: '01234567-89ab-cdef-0123-456789abcdef',
  verityUuid: 'fedcba98-7654-3210-fedc-ba9876543210',
};

t.test('partitions start at 1 MiB, are whole MiB and back to back; 1 MiB left for the backup GPT', (t) => {
  const plan = planDisk(parts);
  t.same(
    plan.partitions.map((p) => [p.name, p.startSector, p.sectors]),
    [
      ['esp', 2048, 64 * 2048],
      ['root-x86-64', 2048 + 64 * 2048, 301 * 2048],
      ['root-x86-64-verity', 2048 + 365 * 2048, 3 * 2048],
    ],
  );
  t.equal(plan.bytes, (1 + 64 + 301 + 3 + 1) * MIB);
  t.equal(plan.partitions[1]?.type, PARTITION_TYPES.root);
  t.equal(plan.partitions[1]?.uuid, parts.rootUuid.toUpperCase());
  t.equal(plan.partitions[2]?.uuid, parts.verityUuid.toUpperCase());
  t.end();
});

t.test('the sfdisk script pins the disk GUID and every partition', (t) => {
  const script = sfdiskScript(planDisk(parts));
  t.match(script, /^label: gpt\n/);
  t.match(script, new RegExp(`label-id: ${DISK_GUID}`));
  t.match(script, /start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=[0-9A-F-]{36}, name="esp"/);
  t.match(script, /type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, uuid=FEDCBA98-7654-3210-FEDC-BA9876543210/);
  t.equal(script, sfdiskScript(planDisk(parts)), 'same input, same script');
  t.end();
});

t.test('sizes must be positive whole bytes', (t) => {
  for (const field of ['espBytes', 'rootBytes', 'verityBytes'] as const) {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      t.throws(() => planDisk({ ...parts, [field]: bad }), InputError, `${field}=${String(bad)}`);
      t.throws(() => planDisk({ ...parts, [field]: bad }), { code: 'INVALID_ARGUMENT' });
    }
  }
  t.end();
});

t.test('the ESP holds the UKI with headroom, at least 64 MiB', (t) => {
  t.equal(espBytesFor(1), 64 * MIB);
  t.equal(espBytesFor(60 * MIB), 68 * MIB);
  t.equal(espBytesFor(60 * MIB + 1), 69 * MIB);
  t.end();
});
