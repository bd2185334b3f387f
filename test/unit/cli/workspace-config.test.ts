// constellation-conf.yaml: defaults round-trip, every field is validated with its path, unknown keys,
// duplicate keys and aliases are refused, and arbitrary input never escapes as anything but CONFIG_INVALID.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { InputError } from '../../../lib/errors.js';
import {
  CONFIG_INVALID,
  defaultConfig,
  parseConfig,
  serializeConfig,
  validateConfig,
} from '../../../cli/workspace/config.js';

function invalid(t: Test, value: unknown, pathPattern: RegExp): void {
  const error = (() => {
    try {
      validateConfig(value);
      return undefined;
    } catch (caught) {
      return caught;
    }
  })();
  t.ok(error instanceof InputError, 'InputError');
  t.equal((error as InputError).code, CONFIG_INVALID);
  t.match((error as Error).message, pathPattern);
}

type Json = Record<string, unknown>;
const base = (): Json => JSON.parse(JSON.stringify(defaultConfig())) as Json;

t.test('defaults: strong, valid, and round-trip through YAML with comments', (t) => {
  const config = defaultConfig();
  t.equal(config.stateDisk, 'luks', 'encrypted state disk by default');
  t.same(config.attestation.policy['akTrust'], ['credential-activation']);
  const text = serializeConfig(config);
  t.match(text, /# luks: encrypted state disk/);
  t.same(parseConfig(text), config);
  t.end();
});

t.test('each field: one wrong value names the field, expected and found', (t) => {
  const cases: [string, (c: Json) => void, RegExp][] = [
    ['version', (c) => (c['version'] = 'v2'), /version: expected "v1", found "v2"/],
    ['name', (c) => (c['name'] = 'Not_A_Label'), /name: expected a DNS label/],
    ['name type', (c) => (c['name'] = 7), /name: expected .*found number 7/],
    [
      'variant',
      (c) => ((c['attestation'] as Json)['variant'] = 'tdx'),
      /attestation\.variant: expected "qemu-vtpm", found "tdx"/,
    ],
    [
      'policy',
      (c) => ((c['attestation'] as Json)['policy'] = 'none'),
      /attestation\.policy: expected a policy mapping/,
    ],
    [
      'policy field',
      (c) => (((c['attestation'] as Json)['policy'] as Json)['akTrust'] = ['trust-me']),
      /attestation\.policy\.akTrust/,
    ],
    ['ekRoots', (c) => ((c['attestation'] as Json)['ekRoots'] = ''), /attestation\.ekRoots: expected a PEM file path/],
    ['controlPlaneEks type', (c) => (c['controlPlaneEks'] = 'abc'), /controlPlaneEks: expected a list/],
    [
      'controlPlaneEks entry',
      (c) => (c['controlPlaneEks'] = ['ABC']),
      /controlPlaneEks\[0\]: expected an EK fingerprint/,
    ],
    [
      'controlPlaneEks repeat',
      (c) => (c['controlPlaneEks'] = ['a'.repeat(64), 'a'.repeat(64)]),
      /controlPlaneEks\[1\]: expected each fingerprint once/,
    ],
    [
      'kubernetes',
      (c) => (c['kubernetes'] = { mode: 'kubeadm' }),
      /kubernetes\.mode: expected "none", found "kubeadm"/,
    ],
    ['stateDisk', (c) => (c['stateDisk'] = 'plain'), /stateDisk: expected "luks" or "none", found "plain"/],
    ['unknown key', (c) => (c['extra'] = 1), /extra: unknown key/],
    ['unknown nested key', (c) => ((c['attestation'] as Json)['pcrs'] = {}), /attestation\.pcrs: unknown key/],
    ['missing section', (c) => delete c['attestation'], /attestation: expected a mapping/],
  ];
  for (const [name, mutate, pattern] of cases) {
    t.test(name, (t) => {
      const config = base();
      mutate(config);
      invalid(t, config, pattern);
      t.end();
    });
  }
  t.end();
});

t.test('every problem at once', (t) => {
  const config = base();
  config['name'] = '';
  config['stateDisk'] = 'x';
  invalid(t, config, /invalid in 2 place\(s\)/);
  t.end();
});

t.test('YAML: duplicate keys, aliases and syntax errors are refused', (t) => {
  const good = serializeConfig(defaultConfig());
  t.throws(() => parseConfig(`${good}name: again\n`), { code: CONFIG_INVALID });
  t.throws(() => parseConfig('x: &a [1]\ny: *a\n'), { code: CONFIG_INVALID });
  t.throws(() => parseConfig('name: [unclosed\n'), { code: CONFIG_INVALID });
  t.throws(() => parseConfig(''), { code: CONFIG_INVALID }, 'empty file');
  t.end();
});

t.test('property: valid names and fingerprints round-trip; other names are refused', (t) => {
  const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/);
  const fingerprint = fc.stringMatching(/^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(
      label,
      fc.uniqueArray(fingerprint, { maxLength: 3 }),
      fc.constantFrom('luks', 'none'),
      (name, eks, disk) => {
        const config = { ...base(), name, controlPlaneEks: eks, stateDisk: disk };
        const parsed = parseConfig(stringify(config));
        return parsed.name === name && parsed.controlPlaneEks.length === eks.length && parsed.stateDisk === disk;
      },
    ),
  );
  fc.assert(
    fc.property(
      fc.string().filter((s) => !/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s)),
      (name) => {
        try {
          validateConfig({ ...base(), name });
          return false;
        } catch (error) {
          return error instanceof InputError && error.code === CONFIG_INVALID;
        }
      },
    ),
  );
  t.pass('property held for every generated case');
  t.end();
});

t.test('property: arbitrary YAML/JSON input is either a config or CONFIG_INVALID, never a crash', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.string()), (value) => {
      try {
        if (typeof value === 'string') parseConfig(value);
        else validateConfig(value);
        return true;
      } catch (error) {
        return error instanceof InputError && error.code === CONFIG_INVALID;
      }
    }),
  );
  t.pass('property held for every generated case');
  t.end();
});
