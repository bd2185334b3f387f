// Reads the cluster material file: {"measurementSalt": hex, "apiServerEndpoint", "token",
// "discoveryTokenCaCertHash", "controlPlaneFiles": [{"name", "data": base64}]}. Secret: never logged.
import { readFile } from 'node:fs/promises';
import { InputError } from '../../lib/errors.js';
import type { ClusterMaterial } from './ports.js';

export const CLUSTER_FILE_INVALID = 'CLUSTER_FILE_INVALID';

function fail(path: string, field: string, expected: string): InputError {
  return new InputError(CLUSTER_FILE_INVALID, `${path}: ${field} expected ${expected}`);
}

function text(record: Record<string, unknown>, path: string, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw fail(path, field, 'a string');
  return value;
}

export async function readClusterFile(path: string): Promise<ClusterMaterial> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      CLUSTER_FILE_INVALID,
      `${path}: expected a readable JSON file, found ${(error as Error).message}`,
    );
  }
  if (typeof json !== 'object' || json === null) throw fail(path, '(file)', 'a JSON object');
  const record = json as Record<string, unknown>;
  const salt = text(record, path, 'measurementSalt');
  if (!/^([0-9a-f]{2}){16,64}$/i.test(salt)) throw fail(path, 'measurementSalt', '32-128 hex chars');
  const files = record.controlPlaneFiles ?? [];
  if (!Array.isArray(files)) throw fail(path, 'controlPlaneFiles', 'an array');
  return {
    measurementSalt: Buffer.from(salt, 'hex'),
    apiServerEndpoint: text(record, path, 'apiServerEndpoint'),
    token: text(record, path, 'token'),
    discoveryTokenCaCertHash: text(record, path, 'discoveryTokenCaCertHash'),
    controlPlane: {
      files: files.map((entry: unknown, index) => {
        const file = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
        const name = file.name;
        if (typeof name !== 'string' || name.startsWith('/') || name.split('/').includes('..')) {
          throw fail(path, `controlPlaneFiles[${index}].name`, 'a relative path without ".."');
        }
        if (typeof file.data !== 'string') throw fail(path, `controlPlaneFiles[${index}].data`, 'base64');
        return { name, data: Buffer.from(file.data, 'base64') };
      }),
    },
  };
}
