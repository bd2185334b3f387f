// 54-constellation-dm-unsynced.rules replaces what two dmsetup processes per device-mapper event would do for
// cryptsetup run without udev sync. It is only right while the Bootstrapper's unit sets DM_DISABLE_UDEV=1 (then no
// libdevmapper waits on a semaphore) and while the cookie it matches decodes to the one flag the rule sets.
import t from 'tap';
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { imageTreeUrl, readImageFile } from '../../helpers/image-tree.js';

const RULES =
  (await readdir(imageTreeUrl('etc/udev/rules.d/'))).find((name) =>
    name.endsWith('-constellation-dm-unsynced.rules'),
  ) ?? '';
const rules = (await readImageFile(`etc/udev/rules.d/${RULES}`))
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
const unit = await readImageFile('etc/systemd/system/constellation-bootstrapper.service');

// libdevmapper.h: DM_UDEV_PRIMARY_SOURCE_FLAG 0x0040, flags in the cookie's upper 16 bits (DM_UDEV_FLAGS_SHIFT).
const PRIMARY_SOURCE_ONLY = 0x40 << 16;

t.test('the cookie matched is the primary-source flag alone, without a semaphore', async (t) => {
  t.equal(PRIMARY_SOURCE_ONLY, 4194304);
  t.equal(PRIMARY_SOURCE_ONLY & 0xffff, 0, 'no semaphore part: nobody waits for udevcomplete');
  // What 55-dm.rules would import for it: exactly the flag the rule sets (dmsetup comes with libdevmapper).
  const decoded = await execa('dmsetup', ['udevflags', String(PRIMARY_SOURCE_ONLY)]);
  t.equal(decoded.stdout.trim(), "DM_UDEV_PRIMARY_SOURCE_FLAG='1'");
  for (const rule of rules) t.match(rule, `ENV{DM_COOKIE}=="${String(PRIMARY_SOURCE_ONLY)}"`);
});

t.test('the Bootstrapper runs cryptsetup without udev sync, which is what makes such cookies', (t) => {
  t.match(unit, /^Environment=DM_DISABLE_UDEV=1$/m);
  t.end();
});

t.test('device-mapper block devices only, and before the rules that read the cookie', (t) => {
  t.equal(rules.length, 2);
  for (const rule of rules) t.match(rule, /^SUBSYSTEM=="block", KERNEL=="dm-\[0-9\]\*", ACTION=="/);
  // udev runs rules files in lexical order of their names, wherever they live.
  t.same([RULES, '55-dm.rules'].sort(), [RULES, '55-dm.rules'], `${RULES} sorts before 55-dm.rules`);
  t.end();
});

t.test('change and remove events lose the cookie and get the flag; a vanished device skips the dm rules', (t) => {
  const [vanished, replaced] = rules;
  t.match(vanished, 'ACTION=="change"');
  t.match(vanished, 'TEST!="dm"');
  t.match(vanished, 'ENV{DISK_RO}="1"', "55-dm.rules' early exit to dm_disable");
  t.match(replaced, 'ACTION=="change|remove"');
  t.match(replaced, 'ENV{DM_COOKIE}=""');
  t.match(replaced, 'ENV{DM_UDEV_PRIMARY_SOURCE_FLAG}="1"');
  t.end();
});
