// One machine of the local cluster on a real swtpm, with a stand-in Bootstrapper (a tiny node script) so the
// supervisor's own contract is tested apart from the real agent: first boot manufactures the TPM and writes the
// EK certificate and event log; a Bootstrapper that exits non-zero makes the machine reboot with PCRs reset and
// the EK kept; power-off stops the Bootstrapper and swtpm and leaves no pid files.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseEventLog } from '../../../lib/attestation/eventlog/event-log-parser.js';
import { replayEventLog } from '../../../lib/attestation/eventlog/replay.js';
import { keyFingerprint } from '../../../lib/attestation/verify/ak-trust.js';
import { expectedPcrs, localImage } from '../../../lib/boot/index.js';
import { nodeLayoutAt } from '../../../lib/local-cluster/cluster-layout.js';
import { localFirmware } from '../../../lib/local-cluster/local-firmware.js';
import { Machine } from '../../../lib/local-cluster/machine.js';
import type { MachineSpec } from '../../../lib/local-cluster/machine-spec.js';
import { readNodeEvents, waitForNodeEvent } from '../../../lib/local-cluster/node-events.js';
import { commandLineContains, readPidFile } from '../../../lib/local-cluster/owned-process.js';
import { createLogger } from '../../../lib/log/index.js';
import { createLocalCa } from '../../../lib/swtpm/local-ca.js';
import { Tpm } from '../../../native/tpm.js';

process.env.TSS2_LOG ??= 'all+NONE';

// Exits 3 on its first run (a fatal Bootstrapper error), then runs until SIGTERM; prints its argv as a milestone.
const standIn = (marker: string): string => `
const fs = require('node:fs');
console.log(JSON.stringify({ event: 'stand-in', args: process.argv.slice(1) }));
if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); }
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`;

t.test(
  'a machine boots, reboots after a fatal Bootstrapper exit with PCRs reset and the EK kept, powers off',
  async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'local-machine-'));
    t.teardown(() => rm(root, { recursive: true, force: true }));
    const ca = await createLocalCa(join(root, 'ca'));
    const nodeDir = join(root, 'nodes', 'worker-0');
    await mkdir(nodeDir, { recursive: true });
    const layout = nodeLayoutAt(nodeDir);
    const spec: MachineSpec = {
      name: 'worker-0',
      role: 'worker',
      address: '127.42.61.11',
      nodeDir,
      caDir: ca.dir,
      ekRootsFile: join(ca.dir, 'swtpm-localca-rootca-cert.pem'),
      ekIntermediatesFile: join(ca.dir, 'issuercert.pem'),
      metadataUrl: 'http://127.42.61.1:8080',
      runtime: 'dist',
      logLevel: 'error',
    };
    const { firmware, description } = localFirmware();
    const machine = new Machine({
      spec,
      ca,
      firmware,
      firmwareDescription: description,
      bootstrapper: { command: process.execPath, args: ['-e', standIn(join(root, 'crashed-once')), '--'] },
      logger: createLogger({ name: 'machine-test', level: 'error', transport: 'stderr-json' }),
    });
    const running = machine.run();
    t.teardown(async () => {
      machine.powerOff();
      await running;
    });

    const second = await waitForNodeEvent(
      layout.events,
      (event) => event.event === 'stand-in' && event.boot === 2,
      'the second boot',
    );
    const events = await readNodeEvents(layout.events);
    t.same(
      events.map((event) => `${String(event.boot)}:${event.event}`),
      [
        '0:powered-on',
        '1:booted',
        '1:bootstrapper-started',
        '1:stand-in',
        '1:bootstrapper-exited',
        '1:rebooting',
        '2:booted',
        '2:bootstrapper-started',
        '2:stand-in',
      ],
      'one timeline: boot, fatal exit, reboot, boot',
    );
    t.equal(events.find((event) => event.event === 'bootstrapper-exited')?.exitCode, 3);
    const booted = events.filter((event) => event.event === 'booted');
    t.match(booted[0]?.ekFingerprint, /^[0-9a-f]{64}$/);
    t.equal(booted[1]?.ekFingerprint, booted[0]?.ekFingerprint, 'the EK (node identity) survives the reboot');
    t.equal(
      keyFingerprint(new X509Certificate(await readFile(layout.ekCertificate)).publicKey),
      booted[0]?.ekFingerprint,
      'ek.pem is the certificate of that EK',
    );

    // The Bootstrapper contract's flags, with the node's own files.
    const args = second.args as string[];
    const flag = (name: string): string | undefined => args[args.indexOf(name) + 1];
    t.equal(flag('--node-address'), spec.address);
    t.equal(flag('--state-disk'), 'none');
    t.equal(flag('--state-dir'), layout.stateDir);
    t.equal(flag('--event-log'), layout.eventLog);
    t.equal(flag('--services'), 'in-process');
    t.equal(flag('--kubernetes'), 'none');
    t.equal(flag('--ek-roots'), spec.ekRootsFile);
    const tcti = flag('--tcti') ?? '';

    // While the stand-in runs (it does not use the TPM), read the PCRs: one boot's worth, not two.
    const expected = expectedPcrs(localImage(), ['sha256']).sha256;
    const tpm = await Tpm.open(tcti);
    try {
      const read = await tpm.pcrRead({ sha256: [0, 4, 8, 9, 11, 15] });
      for (const pcr of [0, 4, 8, 9, 11]) {
        t.same(read.values.sha256?.[pcr], expected[pcr], `PCR ${String(pcr)} holds exactly one boot`);
      }
      t.same(read.values.sha256?.[15], Buffer.alloc(32), 'PCR 15 starts at zero after a reboot');
    } finally {
      await tpm.close();
    }
    const replayed = replayEventLog(parseEventLog(await readFile(layout.eventLog)), 'sha256');
    t.same(replayed[8], expected[8], 'the event log explains the PCRs');

    const bootstrapperPid = await readPidFile(layout.bootstrapperPidFile);
    t.ok(bootstrapperPid !== undefined && (await commandLineContains(bootstrapperPid, layout.stateDir)));
    machine.powerOff();
    await running;
    const last = (await readNodeEvents(layout.events)).slice(-2).map((event) => event.event);
    t.same(last, ['bootstrapper-exited', 'powered-off']);
    t.notOk(existsSync(layout.bootstrapperPidFile), 'no Bootstrapper pid file after power-off');
    t.notOk(existsSync(layout.swtpmPidFile), 'no swtpm pid file after power-off');
    t.notOk(await commandLineContains(bootstrapperPid ?? 0, layout.stateDir), 'the Bootstrapper is gone');
  },
);
