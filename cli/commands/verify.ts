// `constellation verify`: asks every node (or the chosen ones) for fresh evidence and checks it against the
// config's policy with PCR 15 = the cluster measurement of constellation-id.json's cluster id, so a node that
// runs another image, or belongs to another cluster, shows which PCR differs and which events explain it.
import { Command, Option } from 'commander';
import { clusterMeasurement } from '../../lib/crypto/index.js';
import { VERIFY_GRPC_PORT } from '../../lib/cluster/ports.js';
import type { CliIo } from '../cli-io.js';
import { nodeEndpoint } from '../cluster/node-address.js';
import { overallExitCode, verifyNode } from '../cluster/node-verification.js';
import { loadNodeTrust } from '../cluster/node-trust.js';
import { renderVerifyJson, renderVerifyText, type ClusterVerification } from '../cluster/verify-output.js';
import { reportError } from '../error-report.js';
import type { ExitCode } from '../exit-codes.js';
import { progressReporter } from '../progress-reporter.js';
import { UsageError } from '../usage-error.js';
import { readConfig } from '../workspace/config.js';
import { readIdFile } from '../workspace/id-file.js';
import { readState, type StateNode } from '../workspace/state.js';

export interface VerifyOptions {
  readonly workspace: string;
  /** Names or addresses; default every node of the state. */
  readonly nodes?: readonly string[];
  /** Default VERIFY_GRPC_PORT (tests use another). */
  readonly port?: number;
  readonly progress?: (message: string) => void;
}

export type VerifyReport = ClusterVerification;

/** Verifies the nodes; throws only for an unusable workspace or an unknown --node. */
export async function verifyCluster(options: VerifyOptions): Promise<VerifyReport> {
  const config = await readConfig(options.workspace);
  const state = await readState(options.workspace);
  const id = await readIdFile(options.workspace);
  const expected = clusterMeasurement(Buffer.from(id.clusterId, 'hex'));
  const trust = await loadNodeTrust(options.workspace, config, expected);
  const nodes = selectNodes(state.infrastructure.nodes, options.nodes);
  const results = await Promise.all(
    nodes.map((node) => {
      const endpoint = nodeEndpoint(node.address, options.port ?? VERIFY_GRPC_PORT);
      options.progress?.(`Verifying ${node.name} (${endpoint})`);
      return verifyNode(node, endpoint, trust);
    }),
  );
  return {
    clusterId: id.clusterId,
    expectedPcr15: expected.toString('hex'),
    nodes: results,
    exitCode: overallExitCode(results),
  };
}

function selectNodes(all: readonly StateNode[], wanted: readonly string[] | undefined): StateNode[] {
  if (wanted === undefined || wanted.length === 0) return [...all];
  return wanted.map((key) => {
    const node = all.find((n) => n.name === key || n.address === key);
    if (node === undefined) {
      throw new UsageError(
        `--node: expected a node name or address from constellation-state.json (${all.map((n) => n.name).join(', ')}), found "${key}"`,
      );
    }
    return node;
  });
}

const HELP = `
For every node in constellation-state.json (or each --node), verify:
  1. sends a fresh 32-byte nonce to <address>:${VERIFY_GRPC_PORT} (VerificationService.GetAttestation);
  2. proves the node's AK by credential activation (the node's TPM must recover a secret wrapped to its
     certified EK for that AK);
  3. verifies the evidence (EK chain to attestation.ekRoots, quote signature and nonce, event-log replay)
     and checks it against attestation.policy with PCR 15 = the cluster measurement of the cluster id in
     constellation-id.json.

Output (stdout): per node a PCR table (index, bank, expected, actual, ok); for each mismatch the event-log
entries of that PCR (type, digest, what was measured). --output json gives full values.
Exit code: 0 when every node verified; otherwise the most serious node outcome (3 broken evidence,
4 policy rejected, 6 unreachable).

Examples:
  $ constellation verify
  $ constellation verify --node worker-1 --output json
  $ constellation verify --workspace ./my-cluster --node 127.42.0.12`;

export function makeVerifyCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('verify')
    .description("Verify every node's attestation against the config's policy and the cluster's PCR 15")
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--node <name|address...>', 'verify only these nodes (repeatable)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (flags: { workspace: string; node?: string[]; output: 'text' | 'json' }) => {
      done(await runVerify(flags, io));
    });
}

async function runVerify(
  flags: { workspace: string; node?: string[]; output: 'text' | 'json' },
  io: CliIo,
): Promise<ExitCode> {
  const reporter = progressReporter(io);
  try {
    const report = await verifyCluster({
      workspace: flags.workspace,
      ...(flags.node === undefined ? {} : { nodes: flags.node }),
      progress: (message) => {
        reporter.step(message);
      },
    });
    reporter.stop();
    io.stdout.write(flags.output === 'json' ? renderVerifyJson(report) : renderVerifyText(report));
    if (report.exitCode === 0) io.stderr.write('Verification OK\n');
    for (const node of report.nodes) {
      if (node.error !== undefined)
        io.stderr.write(`error: ${node.node.name}: ${node.error.code}: ${node.error.message}\n`);
      else if (node.violations.length > 0)
        io.stderr.write(`error: ${node.node.name}: policy rejected (${node.violations.length} violation(s))\n`);
    }
    return report.exitCode;
  } catch (error) {
    reporter.stop();
    return reportError(io, error, 'constellation verify --help');
  }
}
