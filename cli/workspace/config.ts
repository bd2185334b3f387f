// constellation-conf.yaml: what the admin decides about a cluster (name, attestation policy and trust anchors,
// control-plane EKs, Kubernetes mode, state disk). Read strictly: unknown keys, duplicate keys, aliases and
// wrong types are errors, every one reported with its field path, what was expected and what was found.
import { resolve } from 'node:path';
import { Document, parseDocument, isMap, isPair, isScalar, type Pair } from 'yaml';
import { parsePolicy } from '../../lib/attestation/policy/policy-parser.js';
import { PolicyInvalidError } from '../../lib/attestation/policy/policy-issues.js';
import type { Policy } from '../../lib/attestation/policy/policy.js';
import { InputError } from '../../lib/errors.js';
import { FieldIssues, describeJson, isJsonObject, join } from './field-issues.js';
import { readWorkspaceFile, workspacePath, writeWorkspaceFile } from './files.js';

export const CONFIG_INVALID = 'CONFIG_INVALID';
export const CONFIG_VERSION = 'v1';
export const ATTESTATION_VARIANTS = ['qemu-vtpm'] as const;
export const KUBERNETES_MODES = ['none'] as const;
export const STATE_DISK_MODES = ['luks', 'none'] as const;

/** The attestation policy exactly as written (POLICY-FORMAT.md), validated by parsePolicy. */
export type PolicyJson = Readonly<Record<string, unknown>>;

export interface ClusterConfig {
  readonly version: typeof CONFIG_VERSION;
  readonly name: string;
  readonly attestation: {
    readonly variant: (typeof ATTESTATION_VARIANTS)[number];
    readonly policy: PolicyJson;
    /** PEM file of the TPM manufacturer roots that EK certificates must chain to (relative to the workspace). */
    readonly ekRoots: string;
    readonly ekIntermediates?: string;
  };
  /** RFC 7638 thumbprints (hex) of the EKs that may join as control plane. */
  readonly controlPlaneEks: readonly string[];
  readonly kubernetes: { readonly mode: (typeof KUBERNETES_MODES)[number] };
  readonly stateDisk: (typeof STATE_DISK_MODES)[number];
}

const TOP_KEYS = ['version', 'name', 'attestation', 'controlPlaneEks', 'kubernetes', 'stateDisk'];
const ATTESTATION_KEYS = ['variant', 'policy', 'ekRoots', 'ekIntermediates'];
const KUBERNETES_KEYS = ['mode'];
/** A DNS label: the name ends up in host names and Kubernetes object names. */
const CLUSTER_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;
const FILE_PATH = /^[^\0]+$/;

/**
 * Strong defaults: encrypted state disk, AKs anchored only by credential activation (the TPM proves the AK is
 * its own), SHA-1 banks refused, event-log rules on. PCRs are left for the image's values (see the comments).
 */
export function defaultConfig(): ClusterConfig {
  return {
    version: CONFIG_VERSION,
    name: 'constell',
    attestation: {
      variant: 'qemu-vtpm',
      policy: {
        tpm: {
          pcrs: { sha256: {} },
          allowSha1Banks: false,
          requireSecureBoot: false,
          eventLogRules: { enabled: true, allowEfiAppBeforeCallingEvent: false },
        },
        akTrust: ['credential-activation'],
      },
      ekRoots: 'ek-roots.pem',
    },
    controlPlaneEks: [],
    kubernetes: { mode: 'none' },
    stateDisk: 'luks',
  };
}

/** Parses and validates the YAML text; InputError CONFIG_INVALID lists every problem. */
export function parseConfig(text: string, source: string = 'constellation-conf.yaml'): ClusterConfig {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((e) => `  ${e.message.split('\n')[0] ?? ''}`).join('\n');
    throw new InputError(CONFIG_INVALID, `${source}: expected YAML, found syntax errors:\n${problems}`);
  }
  let value: unknown;
  try {
    // Aliases could expand a small file into a huge value; a config has no use for them.
    value = document.toJS({ maxAliasCount: 0 });
  } catch (error) {
    throw new InputError(CONFIG_INVALID, `${source}: expected plain YAML, found ${(error as Error).message}`);
  }
  return validateConfig(value, source);
}

/** Validates an already-parsed value (YAML or JSON) as a config. */
export function validateConfig(value: unknown, source: string = 'constellation-conf.yaml'): ClusterConfig {
  const issues = new FieldIssues(CONFIG_INVALID, source);
  if (!issues.object('', value, TOP_KEYS)) issues.throwIfAny();
  const top = value as Readonly<Record<string, unknown>>;
  const version = issues.oneOf('version', top['version'], [CONFIG_VERSION]);
  const name = issues.string('name', top['name'], CLUSTER_NAME, 'a DNS label (a-z, 0-9, "-", 1-63 chars)');
  const attestation = validateAttestation(issues, top['attestation']);
  const controlPlaneEks = validateFingerprints(issues, 'controlPlaneEks', top['controlPlaneEks']);
  let kubernetes: ClusterConfig['kubernetes'] = { mode: 'none' };
  if (issues.object('kubernetes', top['kubernetes'], KUBERNETES_KEYS)) {
    const k = top['kubernetes'];
    kubernetes = { mode: issues.oneOf('kubernetes.mode', k['mode'], KUBERNETES_MODES) };
  }
  const stateDisk = issues.oneOf('stateDisk', top['stateDisk'], STATE_DISK_MODES);
  issues.throwIfAny();
  return { version, name, attestation, controlPlaneEks, kubernetes, stateDisk };
}

function validateAttestation(issues: FieldIssues, value: unknown): ClusterConfig['attestation'] {
  const fallback = defaultConfig().attestation;
  if (!issues.object('attestation', value, ATTESTATION_KEYS)) return fallback;
  const a = value;
  const variant = issues.oneOf('attestation.variant', a['variant'], ATTESTATION_VARIANTS);
  let policy: PolicyJson = fallback.policy;
  if (!isJsonObject(a['policy'])) {
    issues.add(
      'attestation.policy',
      `expected a policy mapping (POLICY-FORMAT.md), found ${describeJson(a['policy'])}`,
    );
  } else {
    policy = a['policy'];
    try {
      parsePolicy(policy);
    } catch (error) {
      if (!(error instanceof PolicyInvalidError)) throw error;
      // Policy issues read ".tpm.pcrs…: expected …"; prefix them with where the policy sits in the config.
      for (const issue of error.issues) {
        const at = issue.indexOf(': ');
        const path = issue.slice(0, at) === '.' ? '' : issue.slice(0, at);
        issues.add(`attestation.policy${path}`, issue.slice(at + 2));
      }
    }
  }
  const ekRoots = issues.string('attestation.ekRoots', a['ekRoots'], FILE_PATH, 'a PEM file path');
  const ekIntermediates =
    a['ekIntermediates'] === undefined
      ? undefined
      : issues.string('attestation.ekIntermediates', a['ekIntermediates'], FILE_PATH, 'a PEM file path');
  return { variant, policy, ekRoots, ...(ekIntermediates === undefined ? {} : { ekIntermediates }) };
}

function validateFingerprints(issues: FieldIssues, path: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    issues.add(path, `expected a list of EK fingerprints (64 lowercase hex chars), found ${describeJson(value)}`);
    return [];
  }
  const seen = new Set<string>();
  return value.flatMap((entry: unknown, i) => {
    const fingerprint = issues.string(join(path, i), entry, FINGERPRINT, 'an EK fingerprint (64 lowercase hex chars)');
    if (fingerprint === '') return [];
    if (seen.has(fingerprint))
      issues.add(
        join(path, i),
        `expected each fingerprint once, found a repeat of [${[...seen].indexOf(fingerprint)}]`,
      );
    seen.add(fingerprint);
    return [fingerprint];
  });
}

/** The parsed policy of a validated config. */
export function configPolicy(config: ClusterConfig): Policy {
  return parsePolicy(config.attestation.policy);
}

/** A path from the config, resolved against the workspace unless absolute. */
export function configFilePath(workspace: string, path: string): string {
  return resolve(workspace, path);
}

export async function readConfig(workspace: string): Promise<ClusterConfig> {
  const path = workspacePath(workspace, 'config');
  const text = (await readWorkspaceFile(path, "'constellation config generate'")).toString('utf8');
  return parseConfig(text, path);
}

/** YAML with a comment on each key saying what it means; round-trips through parseConfig. */
export function serializeConfig(config: ClusterConfig): string {
  const validated = validateConfig(JSON.parse(JSON.stringify(config)) as unknown, 'the config to write');
  const document = new Document(validated);
  document.commentBefore = [
    ' Constellation cluster configuration (constellation config generate).',
    ' Strict: unknown keys are errors. Documentation: cli/README.md.',
  ].join('\n');
  for (const [path, comment] of COMMENTS) commentKey(document, path, comment);
  return document.toString({ lineWidth: 0 });
}

const COMMENTS: readonly (readonly [string[], string])[] = [
  [['version'], ' Schema version of this file.'],
  [['name'], ' Cluster name: a DNS label (a-z, 0-9, "-").'],
  [['attestation'], ' How nodes prove what they run before they receive keys.'],
  [['attestation', 'variant'], " Evidence kind: qemu-vtpm (a TPM quote from the node's vTPM with an EK certificate)."],
  [
    ['attestation', 'policy'],
    [
      ' Policy for every node (lib/attestation/policy/POLICY-FORMAT.md). Pin the PCRs of your image under',
      ' tpm.pcrs.sha256 (`constellation local` fills them from the local image). PCR 15 is set by the CLI:',
      ' zero for init/recover, the cluster measurement for verify.',
    ].join('\n'),
  ],
  [
    ['attestation', 'ekRoots'],
    ' PEM file (relative to the workspace) of the TPM manufacturer roots EK certificates chain to.',
  ],
  [['controlPlaneEks'], ' EK fingerprints (RFC 7638 thumbprint, hex) of nodes allowed to join as control plane.'],
  [['kubernetes'], ' Kubernetes: mode none runs no Kubernetes (a cluster CA and admin kubeconfig only).'],
  [['stateDisk'], ' luks: encrypted state disk (dm-crypt). none: a plain directory, NOT encrypted (development only).'],
];

function commentKey(document: Document, path: readonly string[], comment: string): void {
  let node: unknown = document.contents;
  let pair: Pair | undefined;
  for (const key of path) {
    if (!isMap(node)) return;
    pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
    node = pair?.value;
  }
  if (pair !== undefined && isScalar(pair.key)) pair.key.commentBefore = comment;
}

export interface WriteConfigOptions {
  /** Replace an existing file (`config generate --force`). Default false. */
  readonly overwrite?: boolean;
}

export async function writeConfig(
  workspace: string,
  config: ClusterConfig,
  options: WriteConfigOptions = {},
): Promise<string> {
  const path = workspacePath(workspace, 'config');
  await writeWorkspaceFile(path, serializeConfig(config), { overwrite: options.overwrite === true });
  return path;
}
