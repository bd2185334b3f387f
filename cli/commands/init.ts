// `constellation init`: hands the cluster's secrets to the first control-plane node once it has proven what
// it runs, then records the cluster in the workspace. The master secret is written before anything is sent,
// so no cluster can exist whose secret the admin does not hold; an interrupted init reuses it on the rerun.
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import {
  MASTER_SECRET_ERROR_CODES,
  generateMasterSecret,
  readMasterSecret,
  writeMasterSecret,
  type MasterSecret,
} from '../../lib/crypto/index.js';
import { ConstellationError, InputError } from '../../lib/errors.js';
import type { CliIo } from '../cli-io.js';
import { callInit } from '../cluster/init-call.js';
import { dialAttestedNode } from '../cluster/node-dial.js';
import { loadNodeTrust, UNINITIALIZED_PCR15 } from '../cluster/node-trust.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { NODE_ERROR_CODES } from '../node-errors.js';
import { progressReporter } from '../progress-reporter.js';
import { UsageError } from '../usage-error.js';
import { readConfig } from '../workspace/config.js';
import { WORKSPACE_ERROR_CODES, workspaceFileExists, workspacePath, writeWorkspaceFile } from '../workspace/files.js';
import { writeIdFile } from '../workspace/id-file.js';
import { readState, writeState } from '../workspace/state.js';

export interface InitOptions {
  readonly workspace: string;
  /** Human-readable progress (stderr in the CLI). */
  readonly progress: (message: string) => void;
  readonly signal?: AbortSignal;
  /** How long to wait for the node to come up. Default 120 s. */
  readonly waitMs?: number;
}

export interface InitResult {
  readonly clusterId: string;
  readonly ownerId: string;
  readonly nodeName: string;
  /** True when the master secret of an interrupted earlier init was reused. */
  readonly reusedMasterSecret: boolean;
  readonly files: {
    readonly masterSecret: string;
    readonly adminConf: string;
    readonly id: string;
    readonly state: string;
  };
}

const MEASUREMENT_SALT_BYTES = 32;

/** Runs init against the workspace's init endpoint. Throws on every failure; the workspace stays rerunnable. */
export async function initCluster(options: InitOptions): Promise<InitResult> {
  const { workspace, progress } = options;
  const config = await readConfig(workspace);
  const state = await readState(workspace);
  if (state.cluster !== undefined) {
    throw new InputError(
      NODE_ERROR_CODES.CLUSTER_ALREADY_INITIALIZED,
      `Expected a workspace without cluster values, found cluster ${state.cluster.clusterId.slice(0, 16)}… initialised at ${state.cluster.initializedAt}; this cluster is already initialised (use 'constellation verify' or 'constellation recover')`,
    );
  }
  const adminConf = workspacePath(workspace, 'adminConf');
  const idPath = workspacePath(workspace, 'id');
  // Refuse before the node is contacted: after a successful Init there is no second chance to write them.
  for (const path of [adminConf, idPath]) {
    if (await workspaceFileExists(path)) {
      throw new InputError(
        WORKSPACE_ERROR_CODES.WORKSPACE_FILE_EXISTS,
        `Expected no file at ${path}, found one although the state has no cluster values; move it away (it belongs to another cluster or an earlier init) and run init again`,
      );
    }
  }
  const trust = await loadNodeTrust(workspace, config, UNINITIALIZED_PCR15);
  const masterSecretPath = workspacePath(workspace, 'masterSecret');
  const { secret, reused } = await masterSecretForInit(masterSecretPath);
  progress(
    reused
      ? `Reusing the master secret of an interrupted init in ${masterSecretPath}`
      : `Master secret written to ${masterSecretPath} (keep it safe: it is needed to recover the cluster)`,
  );

  const endpoint = state.infrastructure.initEndpoint;
  const subject = `the init node ${endpoint}`;
  progress(`Connecting to ${endpoint} and verifying its attestation`);
  const connection = await dialAttestedNode({
    address: endpoint,
    trust,
    subject,
    waitMs: options.waitMs ?? 120_000,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onWaiting: (attempt) => {
      if (attempt === 2 || attempt % 10 === 0) progress(`Waiting for ${endpoint} to come up`);
    },
  });
  const ek = connection.verified.state.tpm?.ek?.fingerprint;
  progress(`Node attested${ek === undefined ? '' : ` (EK ${ek.slice(0, 16)}…)`}; sending the cluster secrets`);

  const measurementSalt = randomBytes(MEASUREMENT_SALT_BYTES);
  const success = await callInit({
    connection,
    subject,
    request: {
      initSecret: Buffer.from(state.infrastructure.initSecret, 'hex'),
      masterKey: secret.key,
      masterSalt: secret.salt,
      measurementSalt,
      clusterName: config.name,
      kubernetesConfig: Buffer.from(JSON.stringify(config.kubernetes)),
      joinPolicyJson: Buffer.from(
        JSON.stringify({ attestation: config.attestation.policy, controlPlaneEks: config.controlPlaneEks }),
      ),
    },
    onProgress: (step, message) => {
      progress(`[${step}] ${message}`);
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });

  const clusterId = success.clusterId.toString('hex');
  const ownerId = success.ownerId.toString('hex');
  await writeWorkspaceFile(adminConf, success.kubeconfig, { secret: true });
  await writeIdFile(workspace, { clusterId, ownerId, clusterName: config.name, initEndpoint: endpoint });
  const statePath = await writeState(
    workspace,
    {
      ...state,
      cluster: {
        clusterId,
        ownerId,
        measurementSalt: measurementSalt.toString('hex'),
        initializedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    },
    { overwrite: true },
  );
  return {
    clusterId,
    ownerId,
    nodeName: success.nodeName,
    reusedMasterSecret: reused,
    files: { masterSecret: masterSecretPath, adminConf, id: idPath, state: statePath },
  };
}

/**
 * A new master secret, or the one an interrupted init left (the state has no cluster values, so no cluster
 * was recorded with it). Never overwrites: writeMasterSecret refuses an existing file.
 */
async function masterSecretForInit(path: string): Promise<{ secret: MasterSecret; reused: boolean }> {
  try {
    return { secret: await readMasterSecret(path), reused: true };
  } catch (error) {
    if (!(error instanceof ConstellationError) || error.code !== MASTER_SECRET_ERROR_CODES.MASTER_SECRET_MISSING) {
      throw error;
    }
  }
  const secret = generateMasterSecret();
  await writeMasterSecret(path, secret);
  return { secret, reused: false };
}

const HELP = `
Before init: the nodes run (e.g. 'constellation local up') and the workspace holds constellation-conf.yaml and
constellation-state.json (its infrastructure section names the init endpoint and the init secret).

What init does:
  1. writes constellation-mastersecret.json (mode 0600; never over an existing file — an interrupted init's
     secret is reused, so a rerun works);
  2. connects to the init endpoint, proves the node's AK by credential activation and verifies its evidence
     under the config's policy with PCR 15 = 0 (a node that belongs to no cluster yet); waits while the node
     is still booting;
  3. sends the init secret, the master secret and a fresh measurement salt; streams the node's progress;
  4. writes constellation-admin.conf (0600), constellation-id.json and the cluster values into
     constellation-state.json.

Output: the cluster id, owner id and kubeconfig path on stdout (JSON with --output json); progress on stderr.

Examples:
  $ constellation init
  $ constellation init --workspace ./my-cluster --output json`;

export function makeInitCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('init')
    .description("Initialise the cluster: attest the first control-plane node and hand it the cluster's secrets")
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--timeout <seconds>', 'how long to wait for the node to come up', '120')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (flags: { workspace: string; timeout: string; output: string }) => {
      done(await runInit(flags, io));
    });
}

async function runInit(flags: { workspace: string; timeout: string; output: string }, io: CliIo): Promise<ExitCode> {
  const reporter = progressReporter(io);
  try {
    const timeout = Number(flags.timeout);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 86_400) {
      throw new UsageError(`--timeout: expected whole seconds (0..86400), found "${flags.timeout}"`);
    }
    const result = await initCluster({
      workspace: flags.workspace,
      progress: (message) => {
        reporter.step(message);
      },
      waitMs: timeout * 1000,
    });
    reporter.stop();
    io.stdout.write(
      flags.output === 'json'
        ? `${JSON.stringify({ status: 'initialized', ...result }, null, 2)}\n`
        : [
            `Cluster initialised on node ${result.nodeName}.`,
            `clusterId: ${result.clusterId}`,
            `ownerId:   ${result.ownerId}`,
            `master secret: ${result.files.masterSecret} (back it up: recovery needs it)`,
            `export KUBECONFIG="${result.files.adminConf}"`,
            '',
          ].join('\n'),
    );
    return ExitCode.OK;
  } catch (error) {
    reporter.stop();
    return reportError(io, error, 'constellation init --help');
  }
}
