// `constellation config generate`: writes constellation-conf.yaml with strong defaults and a comment on every
// key. Never replaces an existing config unless --force.
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { defaultConfig, writeConfig } from '../workspace/config.js';

const GENERATE_HELP = `
The defaults: stateDisk luks (encrypted), attestation variant qemu-vtpm, AKs anchored only by credential
activation, SHA-1 banks refused, event-log rules on, no control-plane EKs and no pinned PCRs yet. Before
init, pin your image's PCRs under attestation.policy.tpm.pcrs.sha256 and put the TPM manufacturer roots in
the attestation.ekRoots file ('constellation local up' does both for the local cluster).

Examples:
  $ constellation config generate
  $ constellation config generate --workspace ./my-cluster --force`;

export function makeConfigCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  const generate = new Command('generate')
    .description('Write constellation-conf.yaml with strong defaults')
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--force', 'replace an existing constellation-conf.yaml')
    .addHelpText('after', GENERATE_HELP)
    .action(async (flags: { workspace: string; force?: boolean }) => {
      try {
        const path = await writeConfig(flags.workspace, defaultConfig(), { overwrite: flags.force === true });
        io.stdout.write(`${path}\n`);
        io.stderr.write('Config written. Pin your image PCRs and set attestation.ekRoots before init.\n');
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation config generate --help'));
      }
    });
  return new Command('config').description('Work with the cluster configuration file').addCommand(generate);
}
