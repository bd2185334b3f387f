// A minimal "machine" for the Bootstrapper tests: its own swtpm (state kept across reboots, EK certificate from
// the test CA on first power-on) and one Bootstrapper child process (node --import tsx main.ts, so others'
// unfinished files elsewhere cannot break it). Reboot = stop both, start swtpm again on the same state (PCRs
// reset, EK kept), start the Bootstrapper again. Milestones are read from its stdout; stderr is kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { keyFingerprint } from '../../../lib/attestation/verify/ak-trust.js';
import type { Test } from 'tap';
import { Tpm } from '../../../native/tpm.js';
import { startSwtpm, type Swtpm } from '../../../lib/swtpm/swtpm-process.js';
import type { LocalCa } from '../../../lib/swtpm/local-ca.js';

// $BOOTSTRAPPER_TEST_MAIN runs a compiled main.js instead (e.g. dist/agents/bootstrapper/main.js) to measure it.
const COMPILED_MAIN = process.env.BOOTSTRAPPER_TEST_MAIN;
const MAIN_ARGS =
  COMPILED_MAIN === undefined
    ? ['--import', 'tsx', resolve(import.meta.dirname, '../../../agents/bootstrapper/main.ts')]
    : [resolve(COMPILED_MAIN)];

export interface MachineSpec {
  readonly name: string;
  readonly address: string;
  readonly dir: string;
  readonly ca: LocalCa;
  readonly metadataUrl: string;
  /** A JavaScript file to run instead (the image's bundle); default: main.ts under tsx, or $BOOTSTRAPPER_TEST_MAIN. */
  readonly main?: string;
}

export type Milestone = Record<string, unknown> & { event: string };

export class NodeMachine {
  readonly spec: MachineSpec;
  swtpm: Swtpm | undefined;
  child: ChildProcess | undefined;
  milestones: Milestone[] = [];
  stderr = '';
  /** RFC 7638 fingerprint of the machine's EK (known after the first power-on). */
  ek: string | undefined;
  #waiters: { event: string; resolve: (m: Milestone) => void }[] = [];
  #exit: Promise<number | null> = Promise.resolve(null);
  #provisioned = false;

  constructor(t: Test, spec: MachineSpec) {
    this.spec = spec;
    t.teardown(() => this.powerOff());
  }

  async powerOn(): Promise<void> {
    this.swtpm = await startSwtpm({
      stateDir: join(this.spec.dir, 'tpm'),
      keepState: true,
      pcrBanks: ['sha256'],
      ...(this.#provisioned ? {} : { ca: this.spec.ca }),
    });
    this.#provisioned = true;
    if (this.ek === undefined) {
      // The join policy names control-plane nodes by EK fingerprint: read it before the Bootstrapper owns the TPM.
      const tpm = await Tpm.open(this.swtpm.tcti);
      try {
        const der = await tpm.readEkCertificate('rsa');
        this.ek = keyFingerprint(new X509Certificate(der ?? Buffer.alloc(0)).publicKey);
      } finally {
        await tpm.close();
      }
    }
    this.milestones = [];
    const child = spawn(
      process.execPath,
      [
        ...(this.spec.main === undefined ? MAIN_ARGS : [this.spec.main]),
        '--node-address',
        this.spec.address,
        '--tcti',
        this.swtpm.tcti,
        '--metadata-url',
        this.spec.metadataUrl,
        '--state-disk',
        'none',
        '--state-dir',
        join(this.spec.dir, 'state'),
        '--event-log',
        join(this.spec.dir, 'no-event-log'),
        '--ek-roots',
        join(this.spec.ca.dir, 'swtpm-localca-rootca-cert.pem'),
        '--ek-intermediates',
        join(this.spec.ca.dir, 'issuercert.pem'),
        '--log-transport',
        'stderr-json',
        '--retry-interval-ms',
        '200',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSS2_LOG: 'all+NONE' } },
    );
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let milestone: Milestone;
      try {
        milestone = JSON.parse(line) as Milestone;
      } catch {
        return;
      }
      this.milestones.push(milestone);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (waiter.event !== milestone.event) return true;
        waiter.resolve(milestone);
        return false;
      });
    });
    this.#exit = new Promise((resolveExit) => {
      child.once('exit', (code) => {
        resolveExit(code);
      });
    });
  }

  /** The first milestone `event` of this boot (already printed or still to come). */
  waitFor(event: string, timeoutMs = 60_000): Promise<Milestone> {
    const seen = this.milestones.find((milestone) => milestone.event === event);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolveWait, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`${this.spec.name}: no "${event}" within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-3000)}`),
        );
      }, timeoutMs);
      this.#waiters.push({
        event,
        resolve: (milestone) => {
          clearTimeout(timer);
          resolveWait(milestone);
        },
      });
    });
  }

  /** Stops only the Bootstrapper (SIGTERM, or SIGKILL); the swtpm keeps its PCRs. Resolves with the exit code. */
  async stopBootstrapper(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return null;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return this.#exit;
  }

  async powerOff(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const code = await this.stopBootstrapper(signal);
    await this.swtpm?.stop();
    this.swtpm = undefined;
    return code;
  }

  /** sha256 PCR 15 from the running swtpm (one client at a time: stop the Bootstrapper first). */
  async pcr15(): Promise<Buffer> {
    if (this.swtpm === undefined) throw new Error('the machine is off: its PCRs are gone');
    const tpm = await Tpm.open(this.swtpm.tcti);
    try {
      return Buffer.from((await tpm.pcrRead({ sha256: [15] })).values.sha256?.[15] ?? []);
    } finally {
      await tpm.close();
    }
  }
}
