// Flags > env > file, strict validation, and every problem reported at once with where it came from.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors.js';
import {
  describeConfig,
  envName,
  flagName,
  formatListenAddress,
  isLoopback,
  loadAgentConfig,
  parseListenAddress,
} from '../../../lib/config/index.js';

const schema = {
  listen: { type: 'listen', description: 'address', default: '127.0.0.1:9000', loopbackOnly: true },
  masterSecretFile: { type: 'string', description: 'file', required: true },
  workers: { type: 'integer', description: 'count', min: 1, max: 64, default: 4 },
  verbose: { type: 'boolean', description: 'chatty', default: false },
  level: { type: 'enum', values: ['debug', 'info'], description: 'level' },
} as const;

function configFile(t: { teardown(fn: () => void): void }, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'agent.json');
  writeFileSync(path, content);
  return path;
}

function problems(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof InputError && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

t.test('names: flags in kebab-case, env in SCREAMING_SNAKE with the prefix', (t) => {
  t.equal(flagName('masterSecretFile'), 'master-secret-file');
  t.equal(envName('KMS', 'masterSecretFile'), 'KMS_MASTER_SECRET_FILE');
  t.match(describeConfig(schema, 'KMS'), /--master-secret-file, \$KMS_MASTER_SECRET_FILE: file \(required\)/);
  t.end();
});

t.test('flags override env, env overrides the file, the file overrides defaults', (t) => {
  const file = configFile(t, JSON.stringify({ masterSecretFile: '/file', workers: 8, verbose: true, level: 'debug' }));
  const config = loadAgentConfig(schema, {
    envPrefix: 'KMS',
    argv: ['--config', file, '--workers=16', '--no-verbose'],
    env: { KMS_WORKERS: '32', KMS_MASTER_SECRET_FILE: '/env', KMS_LISTEN: '[::1]:0' },
  });
  t.same(config, {
    listen: { host: '::1', port: 0 },
    masterSecretFile: '/env',
    workers: 16,
    verbose: false,
    level: 'debug',
  });
  const defaults = loadAgentConfig(schema, { envPrefix: 'KMS', argv: ['--master-secret-file', '/x'] });
  t.same(defaults, { listen: { host: '127.0.0.1', port: 9000 }, masterSecretFile: '/x', workers: 4, verbose: false });
  const fromFileOption = loadAgentConfig(schema, { envPrefix: 'KMS', file, env: {} });
  t.equal(fromFileOption.masterSecretFile, '/file');
  t.end();
});

t.test('every problem at once, each with its source', (t) => {
  const file = configFile(t, JSON.stringify({ workers: 'many', colour: 'blue', verbose: 'yes' }));
  const message = problems(() =>
    loadAgentConfig(schema, {
      envPrefix: 'KMS',
      argv: ['--listen', '0.0.0.0:9000', '--level', 'trace', '--bogus', 'x', 'stray', '--config', file],
      env: { KMS_WORKERS: '65' },
    }),
  );
  t.match(message, /Invalid configuration \(8 problems\)/);
  t.match(message, /--listen: expected a loopback address .* found "0\.0\.0\.0"/);
  t.match(message, /--level: expected one of debug, info, found "trace"/);
  t.match(message, /--bogus: unknown flag/);
  t.match(message, /stray: expected a flag like --name value, found a positional argument/);
  t.match(message, /agent\.json: colour: unknown setting/);
  t.match(message, /\$KMS_WORKERS: expected an integer from 1 to 64, found "65"/);
  t.match(message, /agent\.json: verbose: expected true or false, found "yes"/);
  t.match(message, /--master-secret-file: required .*\$KMS_MASTER_SECRET_FILE/);
  t.end();
});

t.test('bad files and bad values', (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    ['unparsable file', () => loadAgentConfig(schema, { envPrefix: 'K', file: configFile(t, '{') }), /not valid JSON/],
    ['array file', () => loadAgentConfig(schema, { envPrefix: 'K', file: configFile(t, '[]') }), /a JSON object/],
    ['missing file', () => loadAgentConfig(schema, { envPrefix: 'K', file: '/nonexistent/a.json' }), /cannot be read/],
    [
      'flag without value',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--workers'] }),
      /--workers: expected a value/,
    ],
    [
      '--config without path',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--config'] }),
      /--config: expected a file path/,
    ],
    [
      'negated non-boolean',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--no-workers'] }),
      /only boolean flags/,
    ],
    [
      'empty string',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--master-secret-file='] }),
      /expected a non-empty string/,
    ],
    [
      'fraction',
      () => loadAgentConfig(schema, { envPrefix: 'K', env: { K_WORKERS: '1.5' } }),
      /K_WORKERS: expected an integer/,
    ],
    [
      'bad address',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--listen', '127.0.0.1'] }),
      /expected host:port/,
    ],
    [
      'bad port',
      () => loadAgentConfig(schema, { envPrefix: 'K', argv: ['--listen', '127.0.0.1:70000'] }),
      /expected host:port/,
    ],
  ];
  for (const [name, call, message] of cases) {
    t.throws(call, InputError, name);
    t.match(problems(call), message, name);
  }
  t.end();
});

t.test('listen addresses', (t) => {
  t.same(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  t.same(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
  t.same(parseListenAddress('localhost:1'), { host: 'localhost', port: 1 });
  t.type(parseListenAddress('[127.0.0.1]:1'), 'string');
  t.type(parseListenAddress('::1:9000'), 'string');
  t.ok(isLoopback('127.0.0.2') && isLoopback('::1') && isLoopback('localhost'));
  t.notOk(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('10.0.0.1') || isLoopback('127.example.com'));
  t.equal(formatListenAddress({ host: '::1', port: 5 }), '[::1]:5');
  t.equal(formatListenAddress({ host: '127.0.0.1', port: 5 }), '127.0.0.1:5');
  t.end();
});
