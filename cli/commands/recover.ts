// `constellation recover`: after a full shutdown no control-plane node can rejoin (no JoinService runs), so
// each waits on RECOVER_PORT for the master secret. The CLI attests each waiting node (PCR 15 = 0: it has not
// rejoined yet) before sending the secret; the node accepts only if the key it derives opens its own disk.
import { Command, Option } from 'commander';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import type { AttestedConnection } from '../../lib/atls/index.js';
import { readMasterSecret, type MasterSecret } from '../../lib/crypto/index.js';
import { ConstellationError } from '../../lib/errors.js';
import { RECOVER_PORT } from '../../lib/cluster/ports.js';
import { RecoverServiceClient } from '../../proto/gen/recover.js';
import type { CliIo } from '../cli-io.js';
import { nodeEndpoint } from '../cluster/node-address.js';
import { dialAttestedNode, nodeErrorOf } from '../cluster/node-dial.js';
import { loadNodeTrust, UNINITIALIZED_PCR15, type NodeTrust } from '../cluster/node-trust.js';
import { reportError } from '../error-report.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';
import { NODE_ERROR_CODES, NodeRefusedError, NodeUnreachableError } from '../node-errors.js';
import { progressReporter } from '../progress-reporter.js';
import { readConfig } from '../workspace/config.js';
import { workspacePath } from '../workspace/files.js';
import { readState, type StateNode } from '../workspace/state.js';

export interface RecoverOptions {
  readonly workspace: string;
  readonly progress: (message: string) => void;
  /** Default RECOVER_PORT (tests use another). */
  readonly port?: number;
}

export type RecoverNodeOutcome =
  | { readonly node: StateNode; readonly status: 'recovered'; readonly nodeName: string }
  | { readonly node: StateNode; readonly status: 'not-waiting' }
  | { readonly node: StateNode; readonly status: 'failed'; readonly error: unknown };

export interface RecoverReport {
  readonly nodes: readonly RecoverNodeOutcome[];
  readonly recovered: number;
}

/** Tries every control-plane node of the state once; never throws for a node's answer (see the report). */
export async function recoverCluster(options: RecoverOptions): Promise<RecoverReport> {
  const { workspace, progress } = options;
  const config = await readConfig(workspace);
  const state = await readState(workspace);
  const masterSecretPath = workspacePath(workspace, 'masterSecret');
  const secret = await readMasterSecret(masterSecretPath);
  const trust = await loadNodeTrust(workspace, config, UNINITIALIZED_PCR15);
  const outcomes: RecoverNodeOutcome[] = [];
  for (const node of state.infrastructure.nodes.filter((n) => n.role === 'control-plane')) {
    const address = nodeEndpoint(node.address, options.port ?? RECOVER_PORT);
    progress(`Checking ${node.name} (${address})`);
    outcomes.push(await recoverNode(node, address, trust, secret, masterSecretPath));
  }
  return { nodes: outcomes, recovered: outcomes.filter((o) => o.status === 'recovered').length };
}

async function recoverNode(
  node: StateNode,
  address: string,
  trust: NodeTrust,
  secret: MasterSecret,
  masterSecretPath: string,
): Promise<RecoverNodeOutcome> {
  const subject = `node ${node.name} (${address})`;
  let connection: AttestedConnection<unknown>;
  try {
    connection = await dialAttestedNode({ address, trust, subject, waitMs: 0 });
  } catch (error) {
    if (error instanceof NodeUnreachableError) return { node, status: 'not-waiting' };
    return { node, status: 'failed', error };
  }
  const client = new RecoverServiceClient(connection.target, connection.credentials, connection.channelOptions);
  try {
    const response = await new Promise<{ nodeName: string }>((resolve, reject) => {
      client.recover(
        { masterKey: secret.key, masterSalt: secret.salt },
        new Metadata(),
        { deadline: Date.now() + 30_000 },
        (error: ServiceError | null, answer) => {
          if (error) reject(nodeErrorOf(error, subject));
          else resolve(answer);
        },
      );
    });
    return { node, status: 'recovered', nodeName: response.nodeName || node.name };
  } catch (error) {
    if (error instanceof ConstellationError && error.code === NODE_ERROR_CODES.RECOVERY_KEY_REJECTED) {
      return {
        node,
        status: 'failed',
        error: new NodeRefusedError(
          NODE_ERROR_CODES.RECOVERY_KEY_REJECTED,
          `${subject} refused the master secret in ${masterSecretPath}: it does not match this cluster (the key derived from it does not open the node's disk). The node keeps waiting; use the master secret this cluster was initialised with`,
        ),
      };
    }
    return { node, status: 'failed', error };
  } finally {
    client.close();
  }
}

const HELP = `
When to use: after every control-plane node was shut down, no JoinService runs, so the control-plane
nodes cannot rejoin; each waits for the master secret on port ${RECOVER_PORT}. Workers rejoin by
themselves once a control-plane node is back.

For each control-plane node in constellation-state.json, recover connects to <address>:${RECOVER_PORT},
proves the node's AK by credential activation, verifies its evidence under the config's policy with
PCR 15 = 0, and sends the master secret from constellation-mastersecret.json. The node accepts it only
if the key derived from it opens its own state disk; otherwise it refuses and keeps waiting.

Output: one line per node (recovered / not waiting / failed) on stdout, JSON with --output json.
Exit code 0 when no node failed (also when none was waiting: "no node waiting for recovery");
5 when a node refused (RECOVERY_KEY_REJECTED: wrong master secret); 3/4 when a node's evidence failed.

Examples:
  $ constellation recover
  $ constellation recover --workspace ./my-cluster --output json`;

export function makeRecoverCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('recover')
    .description('Unlock control-plane nodes waiting for the master secret after a full shutdown')
    .option('--workspace <dir>', 'workspace directory', '.')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (flags: { workspace: string; output: 'text' | 'json' }) => {
      done(await runRecover(flags, io));
    });
}

async function runRecover(flags: { workspace: string; output: 'text' | 'json' }, io: CliIo): Promise<ExitCode> {
  const reporter = progressReporter(io);
  let report: RecoverReport;
  try {
    report = await recoverCluster({
      workspace: flags.workspace,
      progress: (m) => {
        reporter.step(m);
      },
    });
  } catch (error) {
    reporter.stop();
    return reportError(io, error, 'constellation recover --help');
  }
  reporter.stop();
  const failures = report.nodes.filter((o) => o.status === 'failed');
  const exitCode = failures.length === 0 ? ExitCode.OK : exitCodeForError(failures[0]?.error);
  if (flags.output === 'json') {
    io.stdout.write(`${JSON.stringify(recoverJson(report, exitCode), null, 2)}\n`);
  } else {
    io.stdout.write(renderRecoverText(report));
  }
  for (const failure of failures) reportError(io, failure.error, 'constellation recover --help');
  return exitCode;
}

export function renderRecoverText(report: RecoverReport): string {
  const lines = report.nodes.map((o) =>
    o.status === 'recovered'
      ? `recovered ${o.nodeName}`
      : o.status === 'not-waiting'
        ? `${o.node.name}: not waiting for recovery`
        : `${o.node.name}: failed (${o.error instanceof ConstellationError ? o.error.code : 'INTERNAL'})`,
  );
  const anyWaiting = report.nodes.some((o) => o.status !== 'not-waiting');
  if (!anyWaiting) lines.push('no node waiting for recovery');
  else lines.push(`recovered ${report.recovered} control-plane node(s)`);
  return `${lines.join('\n')}\n`;
}

function recoverJson(report: RecoverReport, exitCode: ExitCode): unknown {
  return {
    exitCode,
    recovered: report.recovered,
    nodes: report.nodes.map((o) => ({
      name: o.node.name,
      address: o.node.address,
      status: o.status,
      ...(o.status === 'failed' && o.error instanceof ConstellationError
        ? { error: { class: o.error.name, code: o.error.code, message: o.error.message } }
        : {}),
    })),
  };
}
