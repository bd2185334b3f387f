// `constellation mini`: a cluster of QEMU VMs booting the measured node image (swtpm per VM, a private network,
// a host-side metadata service), for the end-to-end tests and for trying the real thing on one machine.
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { makeMiniDownCommand } from './mini-down.js';
import { makeMiniStartCommand, makeMiniStopCommand } from './mini-power.js';
import { makeMiniStatusCommand } from './mini-status.js';
import { makeMiniUpCommand } from './mini-up.js';

export function makeMiniCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('mini')
    .description('Run an attested cluster of QEMU VMs from the measured node image on this machine')
    .addCommand(makeMiniUpCommand(io, done))
    .addCommand(makeMiniDownCommand(io, done))
    .addCommand(makeMiniStatusCommand(io, done))
    .addCommand(makeMiniStopCommand(io, done))
    .addCommand(makeMiniStartCommand(io, done));
}
