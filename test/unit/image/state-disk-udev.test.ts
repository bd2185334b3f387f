// The image's udev rules for the state disk name the same disk mini attaches and bootstrapper-start passes, and the
// device-mapper names the LUKS backend maps: if one side is renamed and the rule is not, the rule silently stops
// matching and every first boot pays udev's probes again (about 0.5 s of a one-vCPU guest, measured).
import t from 'tap';
import { STATE_DISK_SERIAL } from '../../../lib/mini/vm-spec.js';
import { readImageFile } from '../../helpers/image-tree.js';

const rules = (await readImageFile('etc/udev/rules.d/58-constellation-state-disk.rules'))
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
const start = await readImageFile('usr/lib/constellation/bootstrapper-start');

t.test('bootstrapper-start passes the virtio disk mini attaches with the state serial', (t) => {
  t.match(start, `--state-disk /dev/disk/by-id/virtio-${STATE_DISK_SERIAL} `);
  t.end();
});

t.test('the raw state disk gets no inotify watch, finally, matched by that serial', (t) => {
  const rule = rules.find((line) => line.includes('ATTRS{serial}'));
  t.ok(rule, 'a rule matches the raw disk by serial');
  t.match(rule ?? '', `ATTRS{serial}=="${STATE_DISK_SERIAL}"`);
  t.match(rule ?? '', 'OPTIONS:="nowatch"', 'final, so 60-persistent-storage.rules cannot add the watch back');
  t.end();
});

t.test("the dm devices skipping udev's disk rules are the ones the LUKS backend maps", (t) => {
  const rule = rules.find((line) => line.includes('ENV{DM_NAME}=="state'));
  // lib/disk: dm-crypt at /dev/mapper/state (the default mapper name), cryptsetup's dm-integrity below it at
  // <name>_dif.
  t.match(rule ?? '', 'ENV{DM_NAME}=="state|state_dif"');
  t.match(rule ?? '', 'ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}="1"');
  t.end();
});

t.test("cryptsetup's temporary device is left alone by udev and systemd", (t) => {
  const rule = rules.find((line) => line.includes('temporary-cryptsetup-'));
  t.match(rule ?? '', 'ENV{DM_NAME}=="temporary-cryptsetup-*"');
  t.match(rule ?? '', 'ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}="1"');
  t.match(rule ?? '', 'ENV{DM_UDEV_DISABLE_OTHER_RULES_FLAG}="1"', '99-systemd.rules then sets SYSTEMD_READY=0');
  t.end();
});

t.test('nothing else: three rules, all for block devices only', (t) => {
  t.equal(rules.length, 3);
  for (const line of rules) t.match(line, /^SUBSYSTEM=="block", KERNEL=="(vd\*|dm-\[0-9\]\*)", /);
  t.end();
});
