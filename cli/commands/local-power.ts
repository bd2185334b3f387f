// `constellation local stop <node>` / `local start <node>`: power one machine off or on, keeping its TPM (its
// identity) and its state disk, as a VM that is shut down and started again.
import { Command } from 'commander';
import { startNode, stopNode } from '../../lib/local-cluster/local-cluster.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';

export function makeLocalStopCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('stop')
    .description('Power a node off (its Bootstrapper and swtpm stop; TPM state and state disk stay)')
    .argument('<node>', 'node name, e.g. worker-0 (see constellation local status)')
    .option('--workspace <dir>', 'workspace directory', '.')
    .addHelpText('after', '\nExamples:\n  $ constellation local stop worker-0 --workspace ./local')
    .action(async (node: string, flags: { workspace: string }) => {
      try {
        const outcome = await stopNode(flags.workspace, node);
        io.stderr.write(outcome === 'not-running' ? `${node} was not running\n` : `${node} powered off (${outcome})\n`);
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation local stop --help'));
      }
    });
}

export function makeLocalStartCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('start')
    .description('Power a node on: it boots (PCRs measured afresh) and its Bootstrapper rejoins or waits for recovery')
    .argument('<node>', 'node name, e.g. worker-0 (see constellation local status)')
    .option('--workspace <dir>', 'workspace directory', '.')
    .option(
      '--kernel-command-line <text>',
      'boot with this kernel command line instead of the image one (changes a measured PCR: a tampered node for tests)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ constellation local start worker-0 --workspace ./local
  $ constellation local start worker-1 --workspace ./local --kernel-command-line 'console=ttyS0 init=/bin/sh'
    (PCRs 4, 8 and 11 change: the node cannot join, and 'constellation verify --node worker-1' shows why)`,
    )
    .action(async (node: string, flags: { workspace: string; kernelCommandLine?: string }) => {
      try {
        await startNode(flags.workspace, node, {
          ...(flags.kernelCommandLine === undefined ? {} : { kernelCommandLine: flags.kernelCommandLine }),
        });
        io.stderr.write(`${node} booted\n`);
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation local start --help'));
      }
    });
}
