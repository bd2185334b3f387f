// The measurements file (v1): the PCR values a node image's boot produces, with where each came from and whether
// a mismatch refuses the node or only warns. Read strictly: unknown keys, wrong types and out-of-range values are
// all reported at once as InputError MEASUREMENTS_INVALID, each with its path.
import { InputError } from '../errors.js';
import { CLUSTER_MEASUREMENT_PCR } from '../boot/image-policy.js';

export const MEASUREMENTS_ERROR_CODES = {
  /** The file is not a well-formed v1 measurements file (bad JSON, unknown key, bad value). */
  MEASUREMENTS_INVALID: 'MEASUREMENTS_INVALID',
  /** The file carries no signature. */
  MEASUREMENTS_UNSIGNED: 'MEASUREMENTS_UNSIGNED',
  /** The signature does not verify with the key it names: the content was changed or signed by someone else. */
  MEASUREMENTS_SIGNATURE_INVALID: 'MEASUREMENTS_SIGNATURE_INVALID',
  /** The signing key is not one of the trusted release keys. */
  MEASUREMENTS_UNTRUSTED_KEY: 'MEASUREMENTS_UNTRUSTED_KEY',
} as const;

export const MEASUREMENTS_VERSION = 'v1';
export const PCR_MODES = ['enforce', 'warn'] as const;
export const MEASUREMENT_SOURCES = ['precomputed', 'golden-boot'] as const;
export type PcrMode = (typeof PCR_MODES)[number];
export type MeasurementSource = (typeof MEASUREMENT_SOURCES)[number];

export interface PcrMeasurement {
  /** sha256 bank value, 64 lowercase hex chars. */
  readonly expected: string;
  readonly mode: PcrMode;
  /** precomputed from the image's files, or recorded from a golden boot of the pinned VM setup. */
  readonly source: MeasurementSource;
}

export interface Measurements {
  readonly version: typeof MEASUREMENTS_VERSION;
  readonly image: { readonly name: string; readonly version: string; readonly ukiSha256: string };
  /** Keyed by PCR index in decimal ("4", "11"); never "15" (the cluster measurement is set at init/verify). */
  readonly pcrs: Readonly<Record<string, PcrMeasurement>>;
}

export interface MeasurementsSignature {
  readonly algorithm: 'ed25519';
  /** sha256 (hex) of the signing key's SPKI DER. */
  readonly keyId: string;
  /** Base64 Ed25519 signature over the canonical JSON of everything but `signature`. */
  readonly value: string;
}

export interface SignedMeasurements extends Measurements {
  readonly signature: MeasurementsSignature;
}

const TOP_KEYS = ['version', 'image', 'pcrs'];
const IMAGE_KEYS = ['name', 'version', 'ukiSha256'];
const PCR_KEYS = ['expected', 'mode', 'source'];
const SHA256_HEX = /^[0-9a-f]{64}$/;
const PCR_INDEX = /^(0|[1-9][0-9]?)$/;
const LABEL = /^[\x21-\x7e]{1,128}$/;
const PCR_COUNT = 24;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length <= 64 ? JSON.stringify(value) : `a string of ${value.length} chars`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : 'no value';
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed value (without its signature) as v1 measurements. */
export function validateMeasurements(value: unknown, source = 'the measurements file'): Measurements {
  const issues: string[] = [];
  const add = (path: string, message: string): void => void issues.push(`${path}: ${message}`);
  /** `keys` undefined: any keys (checked by the caller). */
  const object = (path: string, v: unknown, keys?: readonly string[]): v is Readonly<Record<string, unknown>> => {
    if (!isObject(v)) {
      add(path, `expected an object, found ${describe(v)}`);
      return false;
    }
    for (const key of Object.keys(v)) {
      if (keys !== undefined && !keys.includes(key)) add(`${path === '.' ? '' : path}.${key}`, 'expected no such key');
    }
    return true;
  };
  const text = (path: string, v: unknown, pattern: RegExp, what: string): string => {
    if (typeof v === 'string' && pattern.test(v)) return v;
    add(path, `expected ${what}, found ${describe(v)}`);
    return '';
  };
  const oneOf = <T extends string>(path: string, v: unknown, allowed: readonly T[]): T => {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    add(path, `expected one of ${allowed.join(', ')}, found ${describe(v)}`);
    return allowed[0] as T;
  };
  if (!object('.', value, TOP_KEYS)) throw invalidMeasurements(source, issues);
  if (value['version'] !== MEASUREMENTS_VERSION) {
    add(
      '.version',
      `expected "${MEASUREMENTS_VERSION}", found ${describe(value['version'])} (a newer CLI may read it)`,
    );
  }
  let image: Measurements['image'] = { name: '', version: '', ukiSha256: '' };
  const rawImage = value['image'];
  if (object('.image', rawImage, IMAGE_KEYS)) {
    image = {
      name: text('.image.name', rawImage['name'], LABEL, 'a name (1-128 printable ASCII chars)'),
      version: text('.image.version', rawImage['version'], LABEL, 'a version (1-128 printable ASCII chars)'),
      ukiSha256: text('.image.ukiSha256', rawImage['ukiSha256'], SHA256_HEX, '64 lowercase hex chars'),
    };
  }
  const pcrs: Record<string, PcrMeasurement> = {};
  const rawPcrs = value['pcrs'];
  if (object('.pcrs', rawPcrs)) {
    const indices = Object.keys(rawPcrs);
    if (indices.length === 0) add('.pcrs', 'expected at least one PCR, found none');
    for (const index of indices) {
      const path = `.pcrs.${index}`;
      if (!PCR_INDEX.test(index) || Number(index) >= PCR_COUNT) {
        add(path, `expected a PCR index 0-${PCR_COUNT - 1}, found ${JSON.stringify(index)}`);
        continue;
      }
      if (Number(index) === CLUSTER_MEASUREMENT_PCR) {
        add(path, 'expected no PCR 15: it holds the cluster measurement, which the CLI sets at init and verify');
        continue;
      }
      const rule = rawPcrs[index];
      if (!object(path, rule, PCR_KEYS)) continue;
      pcrs[index] = {
        expected: text(`${path}.expected`, rule['expected'], SHA256_HEX, 'a sha256 value (64 lowercase hex chars)'),
        mode: oneOf(`${path}.mode`, rule['mode'], PCR_MODES),
        source: oneOf(`${path}.source`, rule['source'], MEASUREMENT_SOURCES),
      };
    }
  }
  if (issues.length > 0) throw invalidMeasurements(source, issues);
  const ordered = Object.fromEntries(Object.entries(pcrs).sort(([a], [b]) => Number(a) - Number(b)));
  return { version: MEASUREMENTS_VERSION, image, pcrs: ordered };
}

function invalidMeasurements(source: string, issues: readonly string[]): InputError {
  return new InputError(
    MEASUREMENTS_ERROR_CODES.MEASUREMENTS_INVALID,
    `Expected a v1 measurements file in ${source}, found:\n${issues.map((issue) => `  ${issue}`).join('\n')}`,
  );
}
