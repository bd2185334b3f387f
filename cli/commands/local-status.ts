// `constellation local status`: which machines run and what each Bootstrapper last reported.
import { Command, Option } from 'commander';
import { clusterStatus, type NodeStatus } from '../../lib/local-cluster/local-cluster.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';

export function makeLocalStatusCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('status')
    .description("Show the local cluster: metadata service, each machine, and its Bootstrapper's last milestone")
    .option('--workspace <dir>', 'workspace directory', '.')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Each node's last milestone comes from its timeline (constellation-local/nodes/<node>/events.jsonl).

Examples:
  $ constellation local status --workspace ./local
  $ constellation local status --workspace ./local --output json`,
    )
    .action(async (flags: { workspace: string; output: 'text' | 'json' }) => {
      try {
        const status = await clusterStatus(flags.workspace);
        if (flags.output === 'json') {
          io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        } else {
          io.stdout.write(
            `metadata service ${status.record.metadataListen}: ${status.metadataPid === undefined ? 'stopped' : `running (pid ${String(status.metadataPid)})`}\n`,
          );
          for (const node of status.nodes) io.stdout.write(`${describeNode(node)}\n`);
        }
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation local status --help'));
      }
    });
}

function describeNode(node: NodeStatus): string {
  const power = node.machinePid === undefined ? 'off' : `on (machine pid ${String(node.machinePid)})`;
  const last = node.lastEvent === undefined ? '' : `, boot ${String(node.boot)}: ${node.lastEvent.event}`;
  return `${node.name.padEnd(16)} ${node.role.padEnd(13)} ${node.address.padEnd(15)} ${power}${last}`;
}
