// Boots out/image/disk.raw once under QEMU (TCG unless told otherwise, 2 vCPUs, 1 GiB, OVMF, a plain swtpm, the
// disk with bootindex=1, user networking with restrict=on, a blank state disk with serial constellation-state) and
// checks: the UKI boots, / is the dm-verity device, the Bootstrapper unit starts and logs, and the guest's PCR 4 and
// PCR 11 equal the signed measurements.json (and systemd-measure's PCR 11). Minutes, not part of `npm test`:
//   npm run image:build && npx tap test/vm/image-boot.vm.ts
// Prints the guest's PCRs and the boot timings as test comments; IMAGE_BOOT_LOGS=<dir> keeps the serial logs.
import t from 'tap';
import { execa, type ResultPromise } from 'execa';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyMeasurements, parseReleasePublicKey } from '../../lib/image/index.js';
import { PCR_PHASES } from '../../image/build/image-build.js';
import { TCG_CPU_MODEL } from '../../lib/mini/vm-spec.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const image = process.env.IMAGE_DIR ?? join(repo, 'out/image');
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const BOOT_TIMEOUT_MS = 420_000;

interface PcrReport {
  readonly event: 'pcrs';
  readonly root: { readonly source: string; readonly fstype: string; readonly verity: string };
  readonly bank: string;
  readonly pcrs: Readonly<Record<string, string>>;
}

const manifest = JSON.parse(
  await readFile(join(image, 'image.json'), 'utf8').catch(() => {
    throw new Error(`Expected ${image}/image.json, found none: run \`npm run image:build\` first`);
  }),
) as { kernelCommandLine: string; rootHash: string };

const dir = await mkdtemp(join(tmpdir(), 'image-boot-'));
const children: ResultPromise[] = [];
t.teardown(async () => {
  for (const child of children.reverse()) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
  }
  const keep = process.env.IMAGE_BOOT_LOGS;
  if (keep !== undefined && keep !== '') {
    await mkdir(keep, { recursive: true });
    for (const name of ['ttyS0.log', 'ttyS1.log', 'swtpm.log'])
      await copyFile(join(dir, name), join(keep, name)).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

await copyFile(OVMF_VARS, join(dir, 'vars.fd'));
await writeFile(join(dir, 'state.raw'), '');
await truncate(join(dir, 'state.raw'), 256 * 1024 * 1024);
const swtpm = execa('swtpm', [
  'socket',
  '--tpmstate',
  `dir=${dir}`,
  '--ctrl',
  `type=unixio,path=${join(dir, 'swtpm.sock')}`,
  '--tpm2',
  '--log',
  `file=${join(dir, 'swtpm.log')}`,
]);
children.push(swtpm);
for (let i = 0; i < 50; i++) {
  if (
    await access(join(dir, 'swtpm.sock')).then(
      () => true,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 100));
}

const console0 = join(dir, 'ttyS0.log');
const serial1 = join(dir, 'ttyS1.log');
const started = Date.now();
const qemu = execa('qemu-system-x86_64', [
  '-machine',
  `q35,accel=${process.env.QEMU_ACCEL ?? 'tcg'}`,
  '-cpu',
  TCG_CPU_MODEL,
  '-smp',
  '2',
  '-m',
  '1024',
  '-display',
  'none',
  '-no-reboot',
  '-drive',
  `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
  '-drive',
  `if=pflash,format=raw,unit=1,file=${join(dir, 'vars.fd')}`,
  '-chardev',
  `socket,id=chrtpm,path=${join(dir, 'swtpm.sock')}`,
  '-tpmdev',
  'emulator,id=tpm0,chardev=chrtpm',
  '-device',
  'tpm-tis,tpmdev=tpm0',
  '-drive',
  `if=none,id=boot,format=raw,file=${join(image, 'disk.raw')},snapshot=on`,
  '-device',
  'virtio-blk-pci,drive=boot,bootindex=1',
  '-drive',
  `if=none,id=state,format=raw,file=${join(dir, 'state.raw')}`,
  '-device',
  'virtio-blk-pci,drive=state,serial=constellation-state',
  '-netdev',
  'user,id=n0,restrict=on',
  '-device',
  'virtio-net-pci,netdev=n0',
  '-serial',
  `file:${console0}`,
  '-serial',
  `file:${serial1}`,
]);
children.push(qemu);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  while (Date.now() - started < BOOT_TIMEOUT_MS) {
    if (qemu.exitCode !== null) throw new Error(`Expected the VM to keep running until ${what}, found QEMU exited`);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = (await readFile(console0, 'utf8').catch(() => '')).slice(-3000);
  throw new Error(`Expected ${what} within ${String(BOOT_TIMEOUT_MS / 1000)} s, found none; console tail:\n${tail}`);
}

const report = await waitFor('the PCR report on ttyS1', async () => {
  const text = await readFile(serial1, 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith('{"event":"pcrs"'));
  return line === undefined ? undefined : (JSON.parse(line) as PcrReport);
});
const reportSeconds = (Date.now() - started) / 1000;
const bootstrapperLine = await waitFor('a Bootstrapper log line on the console', async () => {
  const text = await readFile(console0, 'utf8').catch(() => '');
  return text.split('\n').find((l) => l.includes('bootstrapper-start: node address'));
});
const bootstrapperSeconds = (Date.now() - started) / 1000;
// The agent's own first log line (JSON on stderr → journal → console): metadata is unreachable on purpose
// (restrict=on), so it says that it retries.
const agentLine = await waitFor('a JSON log line of the Bootstrapper agent on the console', async () => {
  const text = await readFile(console0, 'utf8').catch(() => '');
  return text.split('\n').find((l) => /bootstrapper-start\[\d+\]: \{/.test(l));
});
const agentSeconds = (Date.now() - started) / 1000;
// preload-disk-crypto runs in the background of bootstrapper-start and says how it went in its last line.
const preloadLine = await waitFor('the line of preload-disk-crypto on the console', async () => {
  const text = await readFile(console0, 'utf8').catch(() => '');
  return text.split('\n').find((l) => l.includes('preload-disk-crypto: '));
});
const consoleText = await readFile(console0, 'utf8');

t.comment(
  `PCR report after ${reportSeconds.toFixed(1)} s, Bootstrapper start after ${bootstrapperSeconds.toFixed(1)} s, first agent log after ${agentSeconds.toFixed(1)} s`,
);
t.comment(`guest PCRs (sha256): ${JSON.stringify(report.pcrs)}`);

t.test('the UKI booted the measured command line with a dm-verity erofs root', (t) => {
  t.equal(report.root.source, '/dev/mapper/root');
  t.equal(report.root.fstype, 'erofs');
  t.equal(report.root.verity, 'verified');
  t.match(consoleText, /EFI stub: Measured initrd data into PCR 9/);
  t.match(consoleText, /Welcome to .*Constellation node/, 'the root is the image (its os-release)');
  t.end();
});

t.test('the Bootstrapper unit started with a DHCP address and its agent logs to the journal', (t) => {
  t.match(bootstrapperLine, /node address 10\.0\.2\.15 on en/);
  t.match(agentLine, /"(level|msg|message)"/);
  t.end();
});

t.test('the kernel AEAD of the state disk was built before the Bootstrapper needs it', (t) => {
  t.match(preloadLine, /preload-disk-crypto: kernel AEAD authenc\(hmac\(sha256\),xts\(aes\)\) ready/);
  t.end();
});

t.test('guest PCR 4 and 11 equal the signed measurements (and systemd-measure agrees on PCR 11)', async (t) => {
  const publicKey = parseReleasePublicKey(await readFile(join(image, 'release-key.pub.pem')), 'release-key.pub.pem');
  const measurements = verifyMeasurements(await readFile(join(image, 'measurements.json')), [publicKey]);
  for (const [index, rule] of Object.entries(measurements.pcrs)) {
    if (rule.mode !== 'enforce') continue;
    t.equal(report.pcrs[index], rule.expected, `PCR ${index} (${rule.source})`);
  }
  t.ok(measurements.pcrs['4'] !== undefined && measurements.pcrs['11'] !== undefined, 'PCR 4 and 11 are measured');
  const { stdout } = await execa('/usr/lib/systemd/systemd-measure', [
    'calculate',
    `--linux=${join(image, 'vmlinuz')}`,
    `--osrel=${join(image, 'os-release')}`,
    `--cmdline=${join(image, 'cmdline.txt')}`,
    `--initrd=${join(image, 'initrd.img')}`,
    '--bank=sha256',
    `--phase=${PCR_PHASES.join(':')}`,
  ]);
  t.equal(report.pcrs['11'], /sha256=([0-9a-f]{64})/.exec(stdout)?.[1], `systemd-measure ${PCR_PHASES.join(':')}`);
  t.equal(await readFile(join(image, 'cmdline.txt'), 'utf8'), manifest.kernelCommandLine);
});
