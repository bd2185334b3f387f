// `constellation attestation`: the command group for attestation evidence.
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { makeAttestationVerifyCommand } from './attestation-verify.js';

export function makeAttestationCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('attestation')
    .description('Work with attestation evidence (TPM quotes, SEV-SNP reports, TDX quotes, cloud vTPMs)')
    .addCommand(makeAttestationVerifyCommand(io, done));
}
