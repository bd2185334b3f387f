// What one machine of the local cluster is: written by `local up` into the node's directory, read (and
// validated) by the machine supervisor at every power-on.
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { AgentRuntime } from './agent-command.js';

export type NodeRole = 'control-plane' | 'worker';

export interface MachineSpec {
  readonly name: string;
  readonly role: NodeRole;
  /** The node's own loopback address (every service of the node listens here). */
  readonly address: string;
  readonly nodeDir: string;
  readonly caDir: string;
  readonly ekRootsFile: string;
  readonly ekIntermediatesFile: string;
  readonly metadataUrl: string;
  readonly runtime: AgentRuntime;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const STRING_FIELDS = [
  'name',
  'address',
  'nodeDir',
  'caDir',
  'ekRootsFile',
  'ekIntermediatesFile',
  'metadataUrl',
] as const satisfies readonly (keyof MachineSpec)[];

export const MACHINE_SPEC_INVALID = 'MACHINE_SPEC_INVALID';

export function parseMachineSpec(json: unknown, source: string): MachineSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(MACHINE_SPEC_INVALID, `${source}: expected a JSON object, found ${typeof json}`);
  }
  const record = json as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      throw new InputError(
        MACHINE_SPEC_INVALID,
        `${source}: .${field} expected a non-empty string, found ${typeof record[field]}`,
      );
    }
  }
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T => {
    const value = record[field];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw new InputError(
        MACHINE_SPEC_INVALID,
        `${source}: .${field} expected one of ${allowed.join(', ')}, found ${String(value)}`,
      );
    }
    return value as T;
  };
  return {
    name: record.name as string,
    role: oneOf('role', ['control-plane', 'worker'] as const),
    address: record.address as string,
    nodeDir: record.nodeDir as string,
    caDir: record.caDir as string,
    ekRootsFile: record.ekRootsFile as string,
    ekIntermediatesFile: record.ekIntermediatesFile as string,
    metadataUrl: record.metadataUrl as string,
    runtime: oneOf('runtime', ['dist', 'source'] as const),
    logLevel: oneOf('logLevel', ['debug', 'info', 'warn', 'error'] as const),
  };
}

export async function readMachineSpec(path: string): Promise<MachineSpec> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      MACHINE_SPEC_INVALID,
      `${path}: expected a readable JSON file, found: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseMachineSpec(json, path);
}
