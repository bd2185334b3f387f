// The metadata service's inventory file: {"nodes": NodeMetadata[], "initSecretHash"?: "<64 hex>"}. The local
// cluster's orchestrator writes it (writeInventory: temp file + rename, so the service never reads half a file);
// the service re-reads it on every request, so adding a node or the init secret's hash needs no restart.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { metadataInvalid, parseInitSecretHash, parsePeers, type NodeMetadata } from './node-metadata.js';

export interface Inventory {
  readonly nodes: readonly NodeMetadata[];
  /** SHA-256 of the init secret; absent until the infrastructure has one. */
  readonly initSecretHash?: Buffer;
}

/** An inventory of a few nodes is a few KiB; refuse anything that cannot be one. */
export const MAX_INVENTORY_BYTES = 1024 * 1024;

export function parseInventory(value: unknown): Inventory {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw metadataInvalid('inventory', 'an object {nodes, initSecretHash?}', value);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'nodes' && key !== 'initSecretHash') {
      throw metadataInvalid(`inventory.${key.slice(0, 32)}`, 'no such key (known: nodes, initSecretHash)', key);
    }
  }
  const nodes = parsePeers(record.nodes, 'inventory.nodes');
  if (record.initSecretHash === undefined) return { nodes };
  return {
    nodes,
    initSecretHash: parseInitSecretHash({ sha256: record.initSecretHash }, 'inventory.initSecretHash'),
  };
}

export async function readInventory(path: string): Promise<Inventory> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_INVENTORY_BYTES) {
    throw metadataInvalid('inventory', `a file of at most ${MAX_INVENTORY_BYTES} bytes`, `${bytes.length} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw metadataInvalid('inventory', 'a JSON document', `${bytes.length} bytes of something else`);
  }
  return parseInventory(json);
}

/** Writes the inventory atomically (validated first, so the service never serves a file it would refuse). */
export async function writeInventory(path: string, inventory: Inventory): Promise<void> {
  const json = {
    nodes: inventory.nodes.map(({ name, role, address }) => ({ name, role, address })),
    ...(inventory.initSecretHash === undefined ? {} : { initSecretHash: inventory.initSecretHash.toString('hex') }),
  };
  parseInventory(json);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
