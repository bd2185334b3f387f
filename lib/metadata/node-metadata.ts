// What the (untrusted) metadata service says about nodes, validated field by field. Nothing here is trusted for
// security: names and roles only steer which service a node starts; every peer is attested before it is used. But
// a hostile service must not be able to make a node build odd paths, log megabytes or dial odd addresses, so every
// field is checked strictly at this edge.
import { isIP } from 'node:net';
import { describeValue, InputError } from '../errors.js';

export const NODE_ROLES = ['control-plane', 'worker'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export interface NodeMetadata {
  /** DNS-label style: [a-z0-9-]{1,63}. */
  readonly name: string;
  readonly role: NodeRole;
  /** IPv4 or IPv6 address (no port, no brackets). */
  readonly address: string;
}

/** Thrown for every malformed answer or inventory field. */
export const METADATA_INVALID = 'METADATA_INVALID';

const NAME = /^[a-z0-9-]{1,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A cluster of processes on one machine has a handful of nodes; a cloud metadata answer a few hundred. */
export const MAX_PEERS = 1024;

export function metadataInvalid(field: string, expected: string, found: unknown): InputError {
  return new InputError(METADATA_INVALID, `Expected ${expected} for metadata ${field}, found ${describeValue(found)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one NodeMetadata object; `field` names it in errors (e.g. "peers[2]"). Unknown keys are refused. */
export function parseNodeMetadata(value: unknown, field = 'node'): NodeMetadata {
  if (!isRecord(value)) throw metadataInvalid(field, 'an object {name, role, address}', value);
  for (const key of Object.keys(value)) {
    if (key !== 'name' && key !== 'role' && key !== 'address') {
      throw metadataInvalid(`${field}.${key.slice(0, 32)}`, 'no such key (known: name, role, address)', key);
    }
  }
  const { name, role, address } = value;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw metadataInvalid(`${field}.name`, 'a name of 1-63 characters a-z, 0-9 or -', name);
  }
  if (typeof role !== 'string' || !(NODE_ROLES as readonly string[]).includes(role)) {
    throw metadataInvalid(`${field}.role`, `one of ${NODE_ROLES.join(', ')}`, role);
  }
  if (typeof address !== 'string' || isIP(address) === 0) {
    throw metadataInvalid(`${field}.address`, 'an IPv4 or IPv6 address', address);
  }
  return { name, role: role as NodeRole, address };
}

/** Validates a peer list: at most MAX_PEERS entries, names and addresses unique. */
export function parsePeers(value: unknown, field = 'peers'): NodeMetadata[] {
  if (!Array.isArray(value)) throw metadataInvalid(field, 'an array of nodes', value);
  if (value.length > MAX_PEERS) throw metadataInvalid(field, `at most ${MAX_PEERS} nodes`, `${value.length} nodes`);
  const peers = value.map((entry, index) => parseNodeMetadata(entry, `${field}[${index}]`));
  const names = new Set<string>();
  const addresses = new Set<string>();
  peers.forEach((peer, index) => {
    if (names.has(peer.name)) throw metadataInvalid(`${field}[${index}].name`, 'a name used once', peer.name);
    if (addresses.has(peer.address)) {
      throw metadataInvalid(`${field}[${index}].address`, 'an address used once', peer.address);
    }
    names.add(peer.name);
    addresses.add(peer.address);
  });
  return peers;
}

/** Validates {"sha256": "<64 lowercase hex>"} and returns the 32 hash bytes. */
export function parseInitSecretHash(value: unknown, field = 'initsecrethash'): Buffer {
  if (!isRecord(value) || Object.keys(value).length !== 1) {
    throw metadataInvalid(field, 'an object {"sha256": "<hex>"}', value);
  }
  const { sha256 } = value;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw metadataInvalid(`${field}.sha256`, '64 lowercase hex characters', sha256);
  }
  return Buffer.from(sha256, 'hex');
}
