// `constellation local`: a cluster of node processes on this machine (each with its own swtpm and loopback
// address, plus a host-side metadata service), for development and the end-to-end tests.
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { makeLocalDownCommand } from './local-down.js';
import { makeLocalStartCommand, makeLocalStopCommand } from './local-power.js';
import { makeLocalStatusCommand } from './local-status.js';
import { makeLocalUpCommand } from './local-up.js';

export function makeLocalCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('local')
    .description('Run an attested cluster of node processes on this machine (swtpm per node, no VMs)')
    .addCommand(makeLocalUpCommand(io, done))
    .addCommand(makeLocalDownCommand(io, done))
    .addCommand(makeLocalStatusCommand(io, done))
    .addCommand(makeLocalStopCommand(io, done))
    .addCommand(makeLocalStartCommand(io, done));
}

/** Adds `local` to the program (cli/program.ts applies the shared output and error settings afterwards). */
export function registerLocalCommands(program: Command, io: CliIo, done: (code: ExitCode) => void): void {
  program.addCommand(makeLocalCommand(io, done));
}
