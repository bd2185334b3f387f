// Agent configuration from three sources, merged field by field: command-line flags over environment variables
// over a JSON file. Every value is validated at this edge; all problems are reported at once, each with where it
// came from (`--listen`, `$KMS_LISTEN`, `/etc/kms.json: listen`), as one InputError CONFIG_INVALID.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { isLoopback, parseListenAddress, type ListenAddress } from './listen-address.js';

interface FieldBase {
  readonly description: string;
  readonly required?: boolean;
}
export interface StringField extends FieldBase {
  readonly type: 'string';
  readonly default?: string;
  /** Returns a problem ("expected …, found …") or undefined. */
  readonly check?: (value: string) => string | undefined;
}
export interface IntegerField extends FieldBase {
  readonly type: 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanField extends FieldBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}
export interface EnumField<V extends string = string> extends FieldBase {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default?: V;
}
export interface ListenField extends FieldBase {
  readonly type: 'listen';
  readonly default?: string;
  /** Refuse addresses other machines can reach (the KMS has no TLS). */
  readonly loopbackOnly?: boolean;
}
export type FieldSpec = StringField | IntegerField | BooleanField | EnumField | ListenField;
export type ConfigSchema = Readonly<Record<string, FieldSpec>>;

type ValueOf<F> = F extends { type: 'string' }
  ? string
  : F extends { type: 'integer' }
    ? number
    : F extends { type: 'boolean' }
      ? boolean
      : F extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { type: 'listen' }
          ? ListenAddress
          : never;
type Known<F> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;

/** The typed configuration for `S`: fields with a default or `required: true` are always present. */
export type AgentConfig<S extends ConfigSchema> = {
  readonly [K in keyof S as Known<S[K]> extends true ? K : never]: ValueOf<S[K]>;
} & { readonly [K in keyof S as Known<S[K]> extends true ? never : K]?: ValueOf<S[K]> };

export interface ConfigSources {
  /** Arguments after the script, e.g. process.argv.slice(2). `--config <file>` names the file. */
  readonly argv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** JSON file path used when argv has no --config. */
  readonly file?: string;
  /** Environment variable prefix, e.g. 'KMS' → $KMS_LISTEN. */
  readonly envPrefix: string;
}

export const CONFIG_FLAG = 'config';

/** listen → --listen; masterSecretFile → --master-secret-file. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** masterSecretFile with prefix KMS → KMS_MASTER_SECRET_FILE. */
export function envName(prefix: string, field: string): string {
  return `${prefix}_${field.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

interface RawValue {
  readonly value: unknown;
  readonly where: string;
}

function parseArgv(argv: readonly string[], schema: ConfigSchema, problems: string[]) {
  const byFlag = new Map(Object.keys(schema).map((field) => [flagName(field), field]));
  const values = new Map<string, RawValue>();
  let configFile: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const match = /^--(no-)?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(argument);
    if (match === null) {
      problems.push(`${argument}: expected a flag like --name value, found a positional argument`);
      continue;
    }
    const [, negated, name = '', inline] = match;
    const where = `--${name}`;
    if (name === CONFIG_FLAG && negated === undefined) {
      configFile = inline ?? argv[++index];
      if (configFile === undefined) problems.push(`${where}: expected a file path, found nothing`);
      continue;
    }
    const field = byFlag.get(name);
    if (field === undefined) {
      // Skip its value too, so one unknown flag is one problem.
      if (inline === undefined && argv[index + 1]?.startsWith('--') === false) index++;
      problems.push(
        `--${negated ?? ''}${name}: unknown flag (known: ${[...byFlag.keys(), CONFIG_FLAG].map((f) => `--${f}`).join(', ')})`,
      );
      continue;
    }
    if (schema[field]?.type === 'boolean' && inline === undefined) {
      values.set(field, { value: negated === undefined, where });
      continue;
    }
    if (negated !== undefined) {
      problems.push(`--no-${name}: only boolean flags can be negated`);
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) {
      problems.push(`${where}: expected a value, found nothing`);
      continue;
    }
    values.set(field, { value, where });
  }
  return { values, configFile };
}

function readConfigFile(path: string, schema: ConfigSchema, problems: string[]): Map<string, RawValue> {
  const values = new Map<string, RawValue>();
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'it is not valid JSON' : 'it cannot be read';
    problems.push(`${path}: expected a JSON configuration file, but ${reason}`);
    return values;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    problems.push(`${path}: expected a JSON object of settings`);
    return values;
  }
  for (const [key, value] of Object.entries(document)) {
    if (!(key in schema)) problems.push(`${path}: ${key}: unknown setting (known: ${Object.keys(schema).join(', ')})`);
    else values.set(key, { value, where: `${path}: ${key}` });
  }
  return values;
}

function describe(value: unknown): string {
  return typeof value === 'string'
    ? `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}"`
    : JSON.stringify(value);
}

/** Converts one raw value (string from flags/env, JSON value from the file) to the field's type. */
function convert(spec: FieldSpec, raw: RawValue, problems: string[]): unknown {
  const { value, where } = raw;
  const fail = (expected: string): undefined => {
    problems.push(`${where}: expected ${expected}, found ${describe(value)}`);
    return undefined;
  };
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string' || value === '') {
        fail('a non-empty string');
        return;
      }
      const problem = spec.check?.(value);
      if (problem !== undefined) {
        problems.push(`${where}: ${problem}`);
        return undefined;
      }
      return value;
    }
    case 'integer': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      const range = `an integer from ${spec.min ?? Number.MIN_SAFE_INTEGER} to ${spec.max ?? Number.MAX_SAFE_INTEGER}`;
      if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
        fail(range);
        return;
      }
      if ((spec.min !== undefined && number < spec.min) || (spec.max !== undefined && number > spec.max)) {
        fail(range);
        return;
      }
      return number;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      fail('true or false');
      return;
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        fail(`one of ${spec.values.join(', ')}`);
        return;
      }
      return value;
    }
    case 'listen': {
      if (typeof value !== 'string') {
        fail('host:port');
        return;
      }
      const address = parseListenAddress(value);
      if (typeof address === 'string') {
        problems.push(`${where}: ${address}`);
        return undefined;
      }
      if (spec.loopbackOnly === true && !isLoopback(address.host)) {
        problems.push(
          `${where}: expected a loopback address (127.0.0.1, ::1 or localhost) because this service has no TLS, found "${address.host}"`,
        );
        return undefined;
      }
      return address;
    }
  }
}

/** Loads and validates the configuration; throws InputError CONFIG_INVALID listing every problem. */
export function loadAgentConfig<S extends ConfigSchema>(schema: S, sources: ConfigSources): AgentConfig<S> {
  const problems: string[] = [];
  const env = sources.env ?? {};
  const flags = parseArgv(sources.argv ?? [], schema, problems);
  const filePath = flags.configFile ?? sources.file;
  const fromFile = filePath === undefined ? new Map<string, RawValue>() : readConfigFile(filePath, schema, problems);
  const config: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema)) {
    const variable = envName(sources.envPrefix, field);
    const fromEnv = env[variable];
    const raw =
      flags.values.get(field) ??
      (fromEnv === undefined ? undefined : { value: fromEnv, where: `$${variable}` }) ??
      fromFile.get(field) ??
      (spec.default === undefined ? undefined : { value: spec.default, where: `default of ${field}` });
    if (raw === undefined) {
      if (spec.required === true) {
        problems.push(
          `--${flagName(field)}: required (${spec.description}); set the flag, $${variable} or "${field}" in the file`,
        );
      }
      continue;
    }
    const value = convert(spec, raw, problems);
    if (value !== undefined) config[field] = value;
  }
  if (problems.length > 0) {
    throw new InputError(
      'CONFIG_INVALID',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
  }
  return config as AgentConfig<S>;
}

/** Help text: one line per setting with its flag, variable and default. */
export function describeConfig(schema: ConfigSchema, envPrefix: string): string {
  return Object.entries(schema)
    .map(([field, spec]) => {
      const extra =
        spec.default === undefined
          ? spec.required === true
            ? ' (required)'
            : ''
          : ` (default ${String(spec.default)})`;
      return `  --${flagName(field)}, $${envName(envPrefix, field)}: ${spec.description}${extra}`;
    })
    .join('\n');
}
