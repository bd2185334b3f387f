// `constellation config generate`: writes constellation-conf.yaml with strong defaults and a comment on every
// key. Never replaces an existing config unless --force.
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { defaultConfig, writeConfig } from '../workspace/config.js';
import {
  applyMeasurements,
  describeListChanges,
  describeChanges,
  loadVerifiedMeasurements,
  makeMeasurementsCommand,
  measurementsFlags,
  reportVerified,
} from './config-measurements.js';

const GENERATE_HELP = `
The defaults: stateDisk luks (encrypted), attestation variant qemu-vtpm, AKs anchored only by credential
activation, SHA-1 banks refused, event-log rules on, no control-plane EKs and no pinned PCRs yet. Before
init, pin your image's PCRs under attestation.policy.tpm.pcrs.sha256 and put the TPM manufacturer roots in
the attestation.ekRoots file ('constellation local up' does both for the local cluster).

With --measurements and --release-key, the signed measurements file of the node image is verified first and its
PCR rules are pinned (see 'constellation config measurements apply --help').

Examples:
  $ constellation config generate
  $ constellation config generate --workspace ./my-cluster --force
  $ constellation config generate --measurements out/image/measurements.json --release-key out/image/release-key.pub.pem`;

export function makeConfigCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  const generate = new Command('generate')
    .description('Write constellation-conf.yaml with strong defaults')
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--force', 'replace an existing constellation-conf.yaml')
    .option('--measurements <file>', "pin the PCRs of this signed measurements file (the image's measurements.json)")
    .option('--release-key <pub.pem>', 'Ed25519 public release key the measurements file must be signed with')
    .addHelpText('after', GENERATE_HELP)
    .action(async (flags: { workspace: string; force?: boolean; measurements?: string; releaseKey?: string }) => {
      try {
        const wanted = measurementsFlags(flags);
        let config = defaultConfig();
        let lines: string[] = [];
        if (wanted !== undefined) {
          const verified = await loadVerifiedMeasurements(io, wanted.measurements, wanted.releaseKey);
          reportVerified(io, verified);
          const applied = applyMeasurements(config, verified.measurements);
          config = applied.config;
          lines = [...describeChanges(applied.changes), ...describeListChanges(applied.listChanges)];
        }
        const path = await writeConfig(flags.workspace, config, { overwrite: flags.force === true });
        io.stdout.write(`${path}\n`);
        for (const line of lines) io.stderr.write(`${line}\n`);
        io.stderr.write(
          wanted === undefined
            ? 'Config written. Pin your image PCRs and set attestation.ekRoots before init.\n'
            : "Config written with the image's PCRs. Set attestation.ekRoots before init.\n",
        );
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation config generate --help'));
      }
    });
  return new Command('config')
    .description('Work with the cluster configuration file')
    .addCommand(generate)
    .addCommand(makeMeasurementsCommand(io, done));
}
