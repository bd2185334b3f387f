// `constellation mini status`: per VM whether QEMU and swtpm run and the Bootstrapper's last milestone.
import { Command, Option } from 'commander';
import { miniClusterStatus, type VmStatus } from '../../lib/mini/mini-cluster.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';

export function makeMiniStatusCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('status')
    .description("Show the VM cluster: metadata service, each VM's processes and its Bootstrapper's last milestone")
    .option('--workspace <dir>', 'workspace directory', 'mini-cluster')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
The last milestone is what the guest's Bootstrapper wrote to its second serial port
(constellation-mini/nodes/<node>/milestones.log): untrusted progress, not attestation.

Examples:
  $ constellation mini status
  $ constellation mini status --output json`,
    )
    .action(async (flags: { workspace: string; output: 'text' | 'json' }) => {
      try {
        const status = await miniClusterStatus(flags.workspace);
        if (flags.output === 'json') io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        else {
          io.stdout.write(
            `cluster ${status.record.id} (${status.record.accelerator.toUpperCase()}, ${String(status.record.vcpus)} vCPU per VM); metadata service ${status.record.metadataListen}: ${status.metadataPid === undefined ? 'stopped' : `running (pid ${String(status.metadataPid)})`}\n`,
          );
          for (const node of status.nodes) io.stdout.write(`${describeVm(node)}\n`);
        }
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation mini status --help'));
      }
    });
}

export function describeVm(node: VmStatus): string {
  const power =
    node.qemuPid === undefined
      ? 'off'
      : `on (QEMU pid ${String(node.qemuPid)}${node.swtpmPid === undefined ? ', swtpm missing' : `, swtpm pid ${String(node.swtpmPid)}`})`;
  const last =
    node.lastMilestone === undefined ? ', no milestone yet' : `, last milestone: ${node.lastMilestone.event}`;
  return `${node.name.padEnd(16)} ${node.role.padEnd(13)} ${node.address.padEnd(12)} ${power}${last}`;
}
