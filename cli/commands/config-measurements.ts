// `constellation config measurements apply <file> --release-key <pub.pem>`: verifies a signed measurements file
// (before anything in it is used) and makes its PCR rules the config's attestation.policy.tpm.pcrs, atomically.
// Also the shared steps of `config generate --measurements … --release-key …`.
import { Command } from 'commander';
import {
  measurementsPolicy,
  parseReleasePublicKey,
  releaseKeyId,
  verifyMeasurements,
  type Measurements,
} from '../../lib/image/index.js';
import { shortHex } from '../../lib/hex.js';
import { readInputFile } from '../attestation/input-file.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { readConfig, writeConfig, type ClusterConfig, type PolicyJson } from '../workspace/config.js';

export interface VerifiedMeasurements {
  readonly measurements: Measurements;
  /** sha256 of the release key's SPKI DER. */
  readonly keyId: string;
}

/** Reads the release key and the file, and verifies the signature; nothing else looks at the file before. */
export async function loadVerifiedMeasurements(
  io: CliIo,
  measurementsPath: string,
  releaseKeyPath: string,
): Promise<VerifiedMeasurements> {
  const key = parseReleasePublicKey(await readInputFile(io, releaseKeyPath, '--release-key'), releaseKeyPath);
  const bytes = await readInputFile(io, measurementsPath, 'the measurements file');
  return { measurements: verifyMeasurements(bytes, [key], measurementsPath), keyId: releaseKeyId(key) };
}

interface RuleJson {
  readonly expected: readonly string[];
  readonly mode?: string;
}

export interface PcrChange {
  readonly bank: string;
  readonly pcr: number;
  /** The rule after the change; undefined when the PCR is no longer pinned. */
  readonly now: { readonly expected: string; readonly mode: string; readonly source: string } | undefined;
  readonly before: RuleJson | undefined;
}

function objectAt(value: unknown, key: string): Readonly<Record<string, unknown>> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const inner = (value as Readonly<Record<string, unknown>>)[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? (inner as Readonly<Record<string, unknown>>)
    : undefined;
}

/** How the image logs its PCRs (tpm.unloggedPcrs, tpm.partiallyLoggedPcrs): the image's list and the config's. */
export interface PcrListChange {
  readonly key: 'unloggedPcrs' | 'partiallyLoggedPcrs';
  readonly now: readonly number[];
  /** undefined when the config did not set the key (the policy default applied). */
  readonly before: readonly number[] | undefined;
}

const PCR_LIST_KEYS = ['unloggedPcrs', 'partiallyLoggedPcrs'] as const;

/**
 * The config with attestation.policy.tpm.pcrs replaced by exactly the measurements' rules, and tpm.unloggedPcrs and
 * tpm.partiallyLoggedPcrs by the image's (other policy keys kept); per PCR and per list what changed. Pins in other
 * banks go too: the measurements are the whole PCR policy of the image.
 */
export function applyMeasurements(
  config: ClusterConfig,
  measurements: Measurements,
): { config: ClusterConfig; changes: PcrChange[]; listChanges: PcrListChange[] } {
  const policy = config.attestation.policy;
  const oldPcrs = objectAt(objectAt(policy, 'tpm'), 'pcrs') ?? {};
  const changes: PcrChange[] = [];
  for (const [bank, rules] of Object.entries(oldPcrs)) {
    if (bank === 'sha256') continue;
    for (const [pcr, rule] of Object.entries(rules as Record<string, RuleJson>)) {
      changes.push({ bank, pcr: Number(pcr), now: undefined, before: rule });
    }
  }
  const oldSha256 = (oldPcrs['sha256'] ?? {}) as Readonly<Record<string, RuleJson>>;
  const indices = new Set([...Object.keys(oldSha256), ...Object.keys(measurements.pcrs)]);
  for (const pcr of [...indices].sort((a, b) => Number(a) - Number(b))) {
    changes.push({ bank: 'sha256', pcr: Number(pcr), now: measurements.pcrs[pcr], before: oldSha256[pcr] });
  }
  const tpm = objectAt(policy, 'tpm') ?? {};
  const imageTpm = measurementsPolicy(measurements).tpm;
  const listChanges = PCR_LIST_KEYS.map((key): PcrListChange => {
    const before = tpm[key];
    return {
      key,
      now: imageTpm[key] as readonly number[],
      before: Array.isArray(before) ? (before as readonly number[]) : undefined,
    };
  });
  const newPolicy: PolicyJson = { ...policy, tpm: { ...tpm, ...imageTpm } };
  return { config: { ...config, attestation: { ...config.attestation, policy: newPolicy } }, changes, listChanges };
}

function sameList(change: PcrListChange): boolean {
  const before = change.before === undefined ? undefined : [...change.before].sort((a, b) => a - b);
  return before !== undefined && before.length === change.now.length && before.every((v, i) => v === change.now[i]);
}

/** One line per list: its PCRs, and what changed. */
export function describeListChanges(changes: readonly PcrListChange[]): string[] {
  return changes.map((change) => {
    const line = `tpm.${change.key} [${change.now.join(', ')}]`;
    if (sameList(change)) return `${line}  unchanged`;
    return `${line}  changed (was ${change.before === undefined ? 'the default' : `[${change.before.join(', ')}]`})`;
  });
}

function sameRule(change: PcrChange): boolean {
  const { now, before } = change;
  return (
    now !== undefined &&
    before !== undefined &&
    before.expected.length === 1 &&
    before.expected[0]?.toLowerCase() === now.expected &&
    (before.mode ?? 'enforce') === now.mode
  );
}

function describeRule(rule: RuleJson): string {
  return `${rule.expected.map((value) => shortHex(Buffer.from(value, 'hex'))).join(' or ')}, ${rule.mode ?? 'enforce'}`;
}

/** One line per PCR: index, mode, source, value, and what changed. */
export function describeChanges(changes: readonly PcrChange[]): string[] {
  return changes.map((change) => {
    const name = `PCR[${change.pcr}]${change.bank === 'sha256' ? '' : ` (${change.bank})`}`.padEnd(8);
    const { now, before } = change;
    if (now === undefined) {
      const why = change.pcr === 15 ? ': set by the CLI at init and verify' : '';
      return `${name} unpinned (was ${before === undefined ? 'unpinned' : describeRule(before)})${why}`;
    }
    const rule = `${name} ${now.mode.padEnd(7)} ${now.source.padEnd(11)} ${shortHex(Buffer.from(now.expected, 'hex'))}`;
    if (before === undefined) return `${rule}  pinned (was unpinned)`;
    return sameRule(change) ? `${rule}  unchanged` : `${rule}  changed (was ${describeRule(before)})`;
  });
}

/** What `--release-key` and `--measurements` together ask for; one without the other is a usage error. */
export function measurementsFlags(flags: {
  measurements?: string;
  releaseKey?: string;
}): { measurements: string; releaseKey: string } | undefined {
  if (flags.measurements === undefined && flags.releaseKey === undefined) return undefined;
  if (flags.measurements === undefined || flags.releaseKey === undefined) {
    throw new UsageError(
      'Expected --measurements <file> and --release-key <pub.pem> together, found only one; the file is used only once its signature verifies',
    );
  }
  return { measurements: flags.measurements, releaseKey: flags.releaseKey };
}

const APPLY_HELP = `
The signature is checked first: an unsigned file, one signed by a key other than --release-key, or one changed
after signing is refused (exit 3) and nothing is written. Then attestation.policy.tpm.pcrs of the config becomes
exactly the file's PCR rules (each PCR enforced or warn-only as the file says), and tpm.unloggedPcrs and
tpm.partiallyLoggedPcrs become the image's ([10, 15, 16, 23] and [11]: how its PCRs are logged); every other key
stays. PCR 15 is never in the file: the CLI sets it at init and verify. The config is replaced atomically; stdout
lists each PCR, its mode and what changed, then both lists.

Examples:
  $ constellation config measurements apply out/image/measurements.json --release-key out/image/release-key.pub.pem
  $ constellation config measurements apply m.json --release-key release.pub.pem --workspace ./my-cluster`;

export function makeMeasurementsCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  const apply = new Command('apply')
    .description('Verify a signed measurements file and pin its PCRs in constellation-conf.yaml')
    .argument('<file>', 'measurements.json of the node image')
    .requiredOption('--release-key <pub.pem>', 'Ed25519 public key of the release that signed the file')
    .option('--workspace <dir>', 'workspace directory', '.')
    .addHelpText('after', APPLY_HELP)
    .action(async (file: string, flags: { releaseKey: string; workspace: string }) => {
      try {
        const verified = await loadVerifiedMeasurements(io, file, flags.releaseKey);
        reportVerified(io, verified);
        const config = await readConfig(flags.workspace);
        const { config: updated, changes, listChanges } = applyMeasurements(config, verified.measurements);
        for (const line of [...describeChanges(changes), ...describeListChanges(listChanges)]) {
          io.stdout.write(`${line}\n`);
        }
        if (changes.every(sameRule) && listChanges.every(sameList)) {
          io.stderr.write('The config already pins exactly these PCRs; nothing written.\n');
        } else {
          const path = await writeConfig(flags.workspace, updated, { overwrite: true });
          io.stderr.write(`Updated ${path}\n`);
        }
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation config measurements apply --help'));
      }
    });
  return new Command('measurements').description('Use signed PCR measurements of a node image').addCommand(apply);
}

export function reportVerified(io: CliIo, verified: VerifiedMeasurements): void {
  const { image } = verified.measurements;
  io.stderr.write(
    `Verified measurements of ${image.name} ${image.version} (UKI sha256 ${shortHex(Buffer.from(image.ukiSha256, 'hex'))}), signed by release key ${shortHex(Buffer.from(verified.keyId, 'hex'))}\n`,
  );
}
