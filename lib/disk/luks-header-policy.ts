// What a LUKS2 header must say before we trust it (runtime §7.4, the original's detached-header hardening): the
// host controls the disk and could swap in a header with a null or weak cipher, a second keyslot or a foreign
// token. Everything is checked against what luks-state-disk.ts writes; unknown fields anywhere are refused.
// Pure: input is `cryptsetup luksDump --dump-json-metadata` output.
import { VerificationError } from '../errors.js';
import { LUKS_FORMAT } from './luks-format.js';
import { STATE_DISK_ERROR_CODES } from './state-disk.js';
import {
  CLUSTER_HINT_TOKEN_ID,
  parseClusterHintToken,
  parseDiskToken,
  STATE_DISK_TOKEN_ID,
  type ClusterHint,
  type DiskToken,
} from './disk-token.js';

export interface TrustedLuksHeader {
  /** Our token 0; undefined when absent (an interrupted first boot: pending). */
  readonly token: DiskToken | undefined;
  /** Our token 1, written once the disk is bound to a cluster; undefined when absent. */
  readonly clusterHint: ClusterHint | undefined;
  readonly integrity: boolean;
}

const VOLUME_KEY_BYTES = LUKS_FORMAT.keySizeBits / 8;
// hmac(sha256) adds a 32-byte integrity key to the volume key (runtime §7.2: 96 bytes).
const VOLUME_KEY_WITH_INTEGRITY_BYTES = VOLUME_KEY_BYTES + 32;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function invalid(field: string, expected: string, found: unknown): VerificationError {
  const shown = found === undefined ? 'nothing' : JSON.stringify(found);
  return new VerificationError(
    STATE_DISK_ERROR_CODES.DISK_HEADER_INVALID,
    `LUKS header field ${field}: expected ${expected}, found ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}`,
  );
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object', value);
  return value as Record<string, unknown>;
}

/** The object at `field` with exactly `required` keys plus any of `optional`. */
function exactObject(
  value: unknown,
  field: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  const record = object(value, field);
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key))
      throw invalid(`${field}.${key}`, 'no such field', record[key]);
  }
  for (const key of required) {
    if (!(key in record)) throw invalid(`${field}.${key}`, 'a value', undefined);
  }
  return record;
}

function equal(record: Record<string, unknown>, field: string, key: string, expected: string | number): void {
  if (record[key] !== expected) throw invalid(`${field}.${key}`, JSON.stringify(expected), record[key]);
}

function oneOf(record: Record<string, unknown>, field: string, key: string, allowed: readonly number[]): number {
  const value = record[key];
  if (typeof value !== 'number' || !allowed.includes(value))
    throw invalid(`${field}.${key}`, allowed.join(' or '), value);
  return value;
}

function positiveInteger(record: Record<string, unknown>, field: string, key: string, minimum = 1): void {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw invalid(`${field}.${key}`, `an integer ≥ ${minimum}`, value);
  }
}

function decimalString(record: Record<string, unknown>, field: string, key: string): void {
  const value = record[key];
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw invalid(`${field}.${key}`, 'a decimal string', value);
}

function base64(record: Record<string, unknown>, field: string, key: string, minimumBytes: number): void {
  const value = record[key];
  if (typeof value !== 'string' || !BASE64.test(value) || Buffer.from(value, 'base64').length < minimumBytes) {
    throw invalid(`${field}.${key}`, `base64 of at least ${minimumBytes} bytes`, value);
  }
}

function onlyId(record: Record<string, unknown>, field: string): unknown {
  const ids = Object.keys(record);
  if (ids.length !== 1 || ids[0] !== '0') throw invalid(field, 'exactly one entry "0"', ids);
  return record['0'];
}

function idList(record: Record<string, unknown>, field: string, key: string): void {
  const value = record[key];
  if (!Array.isArray(value) || value.length !== 1 || value[0] !== '0') throw invalid(`${field}.${key}`, '["0"]', value);
}

function checkSegment(value: unknown): boolean {
  const field = 'segments.0';
  const segment = exactObject(
    value,
    field,
    ['type', 'offset', 'size', 'iv_tweak', 'encryption', 'sector_size'],
    ['integrity'],
  );
  equal(segment, field, 'type', 'crypt');
  decimalString(segment, field, 'offset');
  equal(segment, field, 'size', 'dynamic');
  equal(segment, field, 'iv_tweak', '0');
  equal(segment, field, 'encryption', LUKS_FORMAT.cipher);
  equal(segment, field, 'sector_size', LUKS_FORMAT.sectorSize);
  if (segment.integrity === undefined) return false;
  const integrity = exactObject(segment.integrity, `${field}.integrity`, [
    'type',
    'journal_encryption',
    'journal_integrity',
  ]);
  equal(integrity, `${field}.integrity`, 'type', 'hmac(sha256)');
  equal(integrity, `${field}.integrity`, 'journal_encryption', 'none');
  equal(integrity, `${field}.integrity`, 'journal_integrity', 'none');
  return true;
}

function checkKeyslot(value: unknown, integrity: boolean): void {
  const field = 'keyslots.0';
  const keyslot = exactObject(value, field, ['type', 'key_size', 'af', 'area', 'kdf']);
  equal(keyslot, field, 'type', 'luks2');
  oneOf(keyslot, field, 'key_size', [integrity ? VOLUME_KEY_WITH_INTEGRITY_BYTES : VOLUME_KEY_BYTES]);
  const af = exactObject(keyslot.af, `${field}.af`, ['type', 'stripes', 'hash']);
  equal(af, `${field}.af`, 'type', 'luks1');
  equal(af, `${field}.af`, 'stripes', 4000);
  equal(af, `${field}.af`, 'hash', 'sha256');
  const area = exactObject(keyslot.area, `${field}.area`, ['type', 'offset', 'size', 'encryption', 'key_size']);
  equal(area, `${field}.area`, 'type', 'raw');
  decimalString(area, `${field}.area`, 'offset');
  decimalString(area, `${field}.area`, 'size');
  equal(area, `${field}.area`, 'encryption', LUKS_FORMAT.cipher);
  equal(area, `${field}.area`, 'key_size', VOLUME_KEY_BYTES);
  // The type first: another KDF has other fields, and "found pbkdf2" says more than "no such field hash".
  equal(object(keyslot.kdf, `${field}.kdf`), `${field}.kdf`, 'type', LUKS_FORMAT.pbkdf.type);
  const kdf = exactObject(keyslot.kdf, `${field}.kdf`, ['type', 'time', 'memory', 'cpus', 'salt']);
  positiveInteger(kdf, `${field}.kdf`, 'time');
  positiveInteger(kdf, `${field}.kdf`, 'memory');
  positiveInteger(kdf, `${field}.kdf`, 'cpus');
  base64(kdf, `${field}.kdf`, 'salt', 32);
}

function checkDigest(value: unknown): void {
  const field = 'digests.0';
  const digest = exactObject(value, field, ['type', 'keyslots', 'segments', 'hash', 'iterations', 'salt', 'digest']);
  equal(digest, field, 'type', 'pbkdf2');
  idList(digest, field, 'keyslots');
  idList(digest, field, 'segments');
  equal(digest, field, 'hash', 'sha256');
  positiveInteger(digest, field, 'iterations', 1000);
  base64(digest, field, 'salt', 32);
  base64(digest, field, 'digest', 32);
}

/** Validates the dumped JSON metadata; VerificationError DISK_HEADER_INVALID names field, expected and found. */
export function validateLuksHeader(metadata: unknown): TrustedLuksHeader {
  const root = exactObject(metadata, 'metadata', ['keyslots', 'tokens', 'segments', 'digests', 'config']);
  const integrity = checkSegment(onlyId(object(root.segments, 'segments'), 'segments'));
  checkKeyslot(onlyId(object(root.keyslots, 'keyslots'), 'keyslots'), integrity);
  checkDigest(onlyId(object(root.digests, 'digests'), 'digests'));
  // No flags (e.g. allow-discards, which leaks free-space layout) and no requirements (e.g. online-reencrypt).
  const config = exactObject(root.config, 'config', ['json_size', 'keyslots_size']);
  decimalString(config, 'config', 'json_size');
  decimalString(config, 'config', 'keyslots_size');
  const tokens = object(root.tokens, 'tokens');
  const tokenIds = Object.keys(tokens).sort();
  const state = String(STATE_DISK_TOKEN_ID);
  const hint = String(CLUSTER_HINT_TOKEN_ID);
  if (tokenIds.length === 0) return { token: undefined, clusterHint: undefined, integrity };
  if (tokenIds[0] !== state || tokenIds.length > 2 || (tokenIds.length === 2 && tokenIds[1] !== hint)) {
    throw invalid('tokens', `token "${state}" and optionally "${hint}"`, tokenIds);
  }
  return {
    token: parseDiskToken(tokens[state], `tokens.${state}`),
    clusterHint: tokenIds.length === 2 ? parseClusterHintToken(tokens[hint], `tokens.${hint}`) : undefined,
    integrity,
  };
}
