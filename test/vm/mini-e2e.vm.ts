// The VM end-to-end test of issue 7, through the CLI as a user runs it (tens of minutes under TCG; run by .ci/run):
//   1. the image build (cached), `mini up --nodes 1:2`: init, joins, and verify with PCR 4/11 equal to the signed
//      measurements and PCR 15 equal to the cluster measurement;
//   2. worker-0 rebooted: it rejoins with the same state disk (same LUKS UUID, the cluster hint in token 1);
//      worker-1 booted with a changed kernel command line at the same time: the cluster refuses it and `verify`
//      names PCRs 4 and 11 and the events behind them;
//   3. every node stopped and started (worker-1 from the image again): the control plane waits for recovery,
//      a wrong master secret is refused and changes nothing, the right one recovers it, the workers rejoin, and
//      the whole cluster verifies;
//   4. `mini down` leaves no process, no network object and no file of the cluster behind.
//   npx tap --timeout 3600 test/vm/mini-e2e.vm.ts        (MINI_E2E_WORKSPACE=<dir> keeps the workspace on failure)
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { linkExists, namespaces } from '../../lib/mini/ip-command.js';
import { miniLayout } from '../../lib/mini/mini-layout.js';
import { readMiniRecord } from '../../lib/mini/mini-record.js';
import { readMilestones, waitForMilestone } from '../../lib/mini/milestones.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/constellation.js');
const IMAGE = join(REPO, 'out/image');
const TAMPER_ARGUMENT = 'constellation.tampered=1';
const BOOT_MS = 15 * 60_000;

interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const started = performance.now();
const stamp = (): string => `[${((performance.now() - started) / 1000).toFixed(0).padStart(5)}s]`;

async function cli(args: readonly string[], timeoutMs = BOOT_MS): Promise<CliResult> {
  t.comment(`${stamp()} $ constellation ${args.join(' ')}`);
  const result = await execa('node', [CLI, ...args], { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  for (const line of result.stderr.split('\n').filter(Boolean).slice(-12)) t.comment(`   ${line}`);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface VerifyJson {
  status: string;
  expectedPcr15: string;
  nodes: {
    name: string;
    status: string;
    ekFingerprint?: string;
    pcrs: { index: number; expected: string[]; actual?: string; ok?: boolean }[];
    mismatches: { index: number; events: { type: string; description: string }[] }[];
  }[];
}

async function luksUuid(file: string): Promise<string> {
  return (await execa('cryptsetup', ['luksUUID', file])).stdout.trim();
}

async function luksTokens(file: string): Promise<Record<string, { type: string }>> {
  const dump = await execa('cryptsetup', ['luksDump', '--dump-json-metadata', file]);
  return (JSON.parse(dump.stdout) as { tokens: Record<string, { type: string }> }).tokens;
}

/** SHA-256 of the LUKS2 header area (both JSON copies and the keyslots area: 2 × 16 KiB + 2 MiB). */
async function headerDigest(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(32 * 1024 + 2 * 1024 * 1024);
    await handle.read(bytes, 0, bytes.length, 0);
    return createHash('sha256').update(bytes).digest('hex');
  } finally {
    await handle.close();
  }
}

t.test('VM cluster end to end: up, reboot + tamper, full stop + recover, down', async (t) => {
  const keep = process.env.MINI_E2E_WORKSPACE;
  const workspace = keep ?? (await mkdtemp(join(tmpdir(), 'mini-e2e-')));
  const layout = miniLayout(workspace);
  t.teardown(async () => {
    await execa('node', [CLI, 'mini', 'down', '--workspace', workspace, '--delete-master-secret'], { reject: false });
    if (keep === undefined) await rm(workspace, { recursive: true, force: true });
  });
  const milestonesOf = async (node: string): Promise<string[]> =>
    (await readMilestones(layout.node(node).milestonesLog)).map((m) => m.event).filter((e) => e !== 'pcrs');
  const waitFor = async (node: string, events: string[], after: number): Promise<string> => {
    const milestone = await waitForMilestone(layout.node(node).milestonesLog, events, node, {
      after,
      timeoutMs: BOOT_MS,
    });
    t.comment(`${stamp()} ${node}: ${milestone.event}`);
    return milestone.event;
  };
  const count = async (node: string): Promise<number> => (await readMilestones(layout.node(node).milestonesLog)).length;

  await t.test('image build (cached when unchanged)', async (t) => {
    const build = await execa('npm', ['run', '--silent', 'image:build'], { cwd: REPO, reject: false });
    t.equal(build.exitCode, 0, build.stderr.split('\n').slice(-5).join('\n'));
  });
  const measurements = JSON.parse(await readFile(join(IMAGE, 'measurements.json'), 'utf8')) as {
    pcrs: Record<string, { expected: string; mode: string }>;
  };

  let id = '';
  const ek = { w1: '' };
  await t.test('mini up 1:2 → init, joins, every node verified with the signed PCR values', async (t) => {
    const up = await cli(['mini', 'up', '--workspace', workspace, '--nodes', '1:2', '--output', 'json'], 30 * 60_000);
    t.equal(up.exitCode, 0, 'mini up exits 0');
    const report = JSON.parse(up.stdout) as VerifyJson;
    t.equal(report.status, 'verified');
    t.equal(report.nodes.length, 3);
    for (const node of report.nodes) {
      t.equal(node.status, 'verified', node.name);
      for (const [index, pcr] of Object.entries(measurements.pcrs)) {
        const row = node.pcrs.find((r) => r.index === Number(index));
        t.equal(row?.actual, pcr.expected, `${node.name} PCR ${index} = the signed measurement`);
      }
      t.equal(node.pcrs.find((r) => r.index === 15)?.actual, report.expectedPcr15, `${node.name} PCR 15`);
    }
    id = (await readMiniRecord(layout.recordFile)).id;
    ek.w1 = report.nodes.find((n) => n.name === 'worker-1')?.ekFingerprint ?? '';
    t.match(ek.w1, /^[0-9a-f]{64}$/);
    t.match(await milestonesOf('control-plane-0'), ['serving-init', 'initialized', 'services']);
    t.match(await milestonesOf('worker-0'), ['serving-init', 'joined', 'services']);
    for (const node of report.nodes) {
      const text = await readFile(layout.node(node.name).consoleLog, 'utf8');
      t.match(
        text,
        /preload-disk-crypto: kernel AEAD authenc\(hmac\(sha256\),xts\(aes\)\) ready/,
        `${node.name} preload`,
      );
      const prepared = /"msg":"state disk prepared for a new node".*?"seconds":([\d.]+)/.exec(text)?.[1];
      t.comment(`${node.name}: first boot → mounted state disk ${prepared ?? '?'} s`);
    }
  });
  if (id === '') return;

  await t.test(
    'worker-0 reboots and rejoins with its disk; worker-1 with a changed command line is refused',
    async (t) => {
      const disk = layout.node('worker-0').stateDisk;
      const uuid = await luksUuid(disk);
      t.same(
        Object.fromEntries(Object.entries(await luksTokens(disk)).map(([key, token]) => [key, token.type])),
        { '0': 'constellation-state-disk', '1': 'constellation-cluster-hint' },
        'the state disk carries the cluster hint in token 1',
      );
      const cpConsoleBefore = (await readFile(layout.node('control-plane-0').consoleLog)).length;
      const stop = await cli(['mini', 'stop', '--workspace', workspace, 'worker-0', 'worker-1']);
      t.equal(stop.exitCode, 0);
      t.match(stop.stderr, /worker-0: shut down in order/, 'worker-0 shut down in order (orderly TPM shutdown)');
      const after0 = await count('worker-0');
      const after1 = await count('worker-1');
      const cmdline = (await readFile(join(IMAGE, 'cmdline.txt'), 'utf8')).trim();
      t.equal((await cli(['mini', 'start', '--workspace', workspace, '--no-wait', 'worker-0'])).exitCode, 0);
      const tampered = await cli([
        'mini',
        'start',
        '--workspace',
        workspace,
        '--no-wait',
        'worker-1',
        '--kernel-command-line',
        `${cmdline} ${TAMPER_ARGUMENT}`,
      ]);
      t.equal(tampered.exitCode, 0);
      t.equal(await waitFor('worker-0', ['waiting-to-rejoin'], after0), 'waiting-to-rejoin');
      t.equal(await waitFor('worker-0', ['rejoined', 'joined'], after0), 'rejoined', 'a rejoin, not a fresh join');
      await waitFor('worker-0', ['services'], after0);
      t.equal(await luksUuid(disk), uuid, 'the same LUKS volume (never reformatted)');
      t.equal(await waitFor('worker-1', ['waiting-to-rejoin'], after1), 'waiting-to-rejoin');
      // Give it several rejoin rounds against the JoinService: each must be refused.
      await new Promise((resolveWait) => setTimeout(resolveWait, 45_000));
      t.notOk((await milestonesOf('worker-1')).slice(-3).includes('rejoined'), 'worker-1 did not rejoin');
      const verify1 = await cli(['verify', '--workspace', workspace, '--node', 'worker-1', '--output', 'json']);
      t.not(verify1.exitCode, 0, 'verify fails for the tampered node');
      const node1 = (JSON.parse(verify1.stdout) as VerifyJson).nodes[0];
      t.equal(node1?.status, 'policy-rejected', 'a PCR mismatch under the policy, not broken evidence');
      const wrong = node1?.mismatches.map((m) => m.index).sort((a, b) => a - b);
      t.same(
        wrong,
        [4, 11, 15],
        'verify names PCR 4 (the UKI), PCR 11 (its .cmdline section) and PCR 15 (not a member of the cluster)',
      );
      const pcr4 = node1?.mismatches.find((m) => m.index === 4);
      t.ok(
        pcr4?.events.some((e) => e.type === 'EV_EFI_BOOT_SERVICES_APPLICATION'),
        'the PCR 4 mismatch is explained by the UKI load event',
      );
      // Mutual attestation: the tampered node checks the JoinService against its own PCRs first and refuses to
      // hand it anything (the JoinService's own refusal of such evidence is covered by the attestation and
      // process-cluster tests); either way it gets no ticket.
      const worker1Console = await readFile(layout.node('worker-1').consoleLog, 'utf8');
      t.match(
        worker1Console,
        /JOIN_SERVICE_IMAGE_MISMATCH[^\n]*PCR\[4\][^\n]*PCR\[11\]/,
        'worker-1 names PCRs 4 and 11 when it refuses the cluster',
      );
      const cpConsole = (await readFile(layout.node('control-plane-0').consoleLog, 'utf8')).slice(cpConsoleBefore);
      t.notOk(
        cpConsole.split('\n').some((line) => line.includes('IssueRejoinTicket granted') && line.includes(ek.w1)),
        'the JoinService issued no ticket to worker-1',
      );
      const verify0 = await cli(['verify', '--workspace', workspace, '--node', 'worker-0']);
      t.equal(verify0.exitCode, 0, 'the rebooted worker verifies');
    },
  );

  await t.test('full stop, start: wrong master secret refused and harmless, the right one recovers', async (t) => {
    const cpDisk = layout.node('control-plane-0').stateDisk;
    const stop = await cli(['mini', 'stop', '--workspace', workspace]);
    t.equal(stop.exitCode, 0);
    const after = {
      cp: await count('control-plane-0'),
      w0: await count('worker-0'),
      w1: await count('worker-1'),
    };
    const start = await cli(['mini', 'start', '--workspace', workspace]);
    t.equal(start.exitCode, 0, 'every node booted (worker-1 from the image again)');
    t.match(start.stderr, /control-plane-0: waiting-for-recovery/);
    const header = await headerDigest(cpDisk);
    const secretFile = join(workspace, 'constellation-mastersecret.json');
    const secret = await readFile(secretFile, 'utf8');
    const parsed = JSON.parse(secret) as Record<string, string>;
    const wrong = Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [
        key,
        key === 'key' ? Buffer.alloc(Buffer.from(value, 'base64').length, 7).toString('base64') : value,
      ]),
    );
    await rename(secretFile, `${secretFile}.right`);
    await writeFile(secretFile, JSON.stringify(wrong), { mode: 0o600 });
    const refused = await cli(['recover', '--workspace', workspace]);
    await rename(`${secretFile}.right`, secretFile);
    t.equal(refused.exitCode, 5, 'a wrong master secret is refused (RECOVERY_KEY_REJECTED)');
    t.equal(await headerDigest(cpDisk), header, 'and changes nothing on the disk');
    t.notOk((await milestonesOf('control-plane-0')).slice(-1).includes('recovered'));
    const recovered = await cli(['recover', '--workspace', workspace]);
    t.equal(recovered.exitCode, 0, recovered.stdout);
    t.equal(await waitFor('control-plane-0', ['recovered'], after.cp), 'recovered');
    t.equal(await waitFor('worker-0', ['rejoined', 'joined'], after.w0), 'rejoined');
    t.equal(await waitFor('worker-1', ['rejoined', 'joined'], after.w1), 'rejoined');
    await waitFor('control-plane-0', ['services'], after.cp);
    await waitFor('worker-0', ['services'], after.w0);
    await waitFor('worker-1', ['services'], after.w1);
    const verify = await cli(['verify', '--workspace', workspace, '--output', 'json']);
    t.equal(verify.exitCode, 0, 'the recovered cluster verifies (worker-1 boots the image again: PCRs 4/11 match)');
    t.same(
      (JSON.parse(verify.stdout) as VerifyJson).nodes.map((n) => n.status),
      ['verified', 'verified', 'verified'],
    );
  });

  await t.test('mini down leaves nothing behind', async (t) => {
    const down = await cli(['mini', 'down', '--workspace', workspace, '--delete-master-secret']);
    t.equal(down.exitCode, 0);
    const processes = await execa('ps', ['-eo', 'args'], { reject: false });
    t.same(
      processes.stdout.split('\n').filter((line) => line.includes(workspace)),
      [],
      'no process names the workspace',
    );
    t.notOk(
      (await namespaces()).some((name) => name.includes(id)),
      'no network namespace of the cluster',
    );
    t.notOk(await linkExists(`cmini${id}`), 'no host link of the cluster');
    t.same(await readdir(workspace), [], 'the workspace holds nothing of the cluster');
  });
});
