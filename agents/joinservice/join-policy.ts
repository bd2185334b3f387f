// The cluster's join policy: the attestation policy (POLICY-FORMAT.md) plus which nodes are control-plane
// nodes. Roles are decided here by EK identity, never declared by the node (constellation-runtime.md §11.5).
import { InputError } from '../../lib/errors.js';
import { parsePolicy } from '../../lib/attestation/policy/policy-parser.js';
import type { Policy } from '../../lib/attestation/policy/policy.js';

export const JOIN_POLICY_INVALID = 'JOIN_POLICY_INVALID';

export interface JoinPolicy {
  /** Monotonic version; an update must carry a greater one. */
  readonly version: bigint;
  readonly attestation: Policy;
  /** EK fingerprints (RFC 7638 thumbprint, lowercase hex) of control-plane nodes. */
  readonly controlPlaneEks: ReadonlySet<string>;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;
const KEYS = new Set(['attestation', 'controlPlaneEks']);

/** Parses `{"attestation": <policy>, "controlPlaneEks": ["<64 hex>", …]}` strictly. */
export function parseJoinPolicy(json: unknown, version: bigint): JoinPolicy {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(JOIN_POLICY_INVALID, `join policy expected a JSON object, got ${describe(json)}`);
  }
  const record = json as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) {
    throw new InputError(
      JOIN_POLICY_INVALID,
      `join policy expected only keys attestation, controlPlaneEks, got ${unknown.join(', ')}`,
    );
  }
  const eks = record.controlPlaneEks ?? [];
  if (!Array.isArray(eks)) {
    throw new InputError(JOIN_POLICY_INVALID, `.controlPlaneEks expected an array, got ${describe(eks)}`);
  }
  const controlPlaneEks = new Set<string>();
  eks.forEach((value: unknown, index) => {
    if (typeof value !== 'string' || !FINGERPRINT.test(value.toLowerCase())) {
      throw new InputError(
        JOIN_POLICY_INVALID,
        `.controlPlaneEks[${index}] expected 64 hex chars (an EK fingerprint), got ${describe(value)}`,
      );
    }
    controlPlaneEks.add(value.toLowerCase());
  });
  return { version, attestation: parsePolicy(record.attestation ?? {}), controlPlaneEks };
}

/** Parses the UTF-8 JSON bytes of a policy update. */
export function parseJoinPolicyBytes(bytes: Uint8Array, version: bigint): JoinPolicy {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InputError(JOIN_POLICY_INVALID, `join policy expected JSON, got ${bytes.length} bytes that do not parse`);
  }
  return parseJoinPolicy(json, version);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} chars`;
  return typeof value;
}
