import t from 'tap';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import { openTpmFor } from './tpm-fixture.js';
import { toNativeSelection } from '../../../native/tpm-arguments.js';
import { ADDON_DIRECTORIES, TPM_ADDON_FILE } from '../../../native/loader.js';
import type { Tpm } from '../../../native/tpm.js';

type Case = readonly [label: string, call: (tpm: Tpm) => Promise<unknown>, message: RegExp];

// Each case varies one argument; the message pins "Expected X for Y but received Z".
const cases = (tpm: Tpm, ak: Awaited<ReturnType<Tpm['createAk']>>): Case[] => [
  ['getRandom(-1)', () => tpm.getRandom(-1), /^Expected integer 1-65536 for size but received -1 of type number$/],
  ['getRandom(0)', () => tpm.getRandom(0), /for size but received 0 of type number/],
  ['getRandom(1.5)', () => tpm.getRandom(1.5), /for size but received 1.5/],
  ['getRandom("8")', () => tpm.getRandom('8' as never), /for size but received "8" of type string/],
  [
    'pcrRead PCR 24',
    () => tpm.pcrRead({ sha256: [24] }),
    /^Expected integer 0-23 for selection.sha256 but received 24 of type number$/,
  ],
  ['pcrRead PCR -1', () => tpm.pcrRead({ sha256: [-1] }), /integer 0-23 for selection.sha256/],
  ['pcrRead empty', () => tpm.pcrRead({}), /at least one PCR for selection/],
  ['pcrRead bank', () => tpm.pcrRead({ md5: [1] } as never), /for selection bank but received "md5"/],
  ['pcrRead duplicate', () => tpm.pcrRead({ sha256: [1, 1] }), /distinct integers 0-23/],
  ['pcrRead not array', () => tpm.pcrRead({ sha256: 3 } as never), /array of integers 0-23 for selection.sha256/],
  ['pcrRead array', () => tpm.pcrRead([0] as never), /PCR selection/],
  [
    'pcrExtend(24)',
    () => tpm.pcrExtend(24, { sha256: Buffer.alloc(32) }),
    /^Expected integer 0-23 for pcr but received 24 of type number$/,
  ],
  [
    'pcrExtend size',
    () => tpm.pcrExtend(16, { sha256: Buffer.alloc(20) }),
    /Buffer or Uint8Array of 32 bytes for digests.sha256 but received Buffer of 20 bytes/,
  ],
  [
    'pcrExtend string',
    () => tpm.pcrExtend(16, { sha256: 'ab'.repeat(40) as never }),
    /for digests.sha256 but received string of 80 chars$/,
  ],
  ['pcrExtend none', () => tpm.pcrExtend(16, {}), /at least one bank for digests/],
  ['readPublic', () => tpm.readPublic(0x01c00002), /persistent handle .* for handle but received 29360130/],
  [
    'createAk kind',
    () => tpm.createAk('dsa' as never),
    /^Expected 'rsa' or 'ecc' for kind but received "dsa" of type string$/,
  ],
  ['createEk kind', () => tpm.createEk(undefined as never), /for kind but received undefined/],
  ['readEkCertificate kind', () => tpm.readEkCertificate(1 as never), /for kind but received 1 of type number/],
  [
    'quote empty nonce',
    () => tpm.quote(ak, { sha256: [0] }, Buffer.alloc(0)),
    /^Expected Buffer or Uint8Array of 1-64 bytes for qualifyingData but received Buffer of 0 bytes$/,
  ],
  [
    'quote long nonce',
    () => tpm.quote(ak, { sha256: [0] }, Buffer.alloc(65)),
    /1-64 bytes for qualifyingData but received Buffer of 65 bytes/,
  ],
  [
    'quote string nonce',
    () => tpm.quote(ak, { sha256: [0] }, 'nonce' as never),
    /for qualifyingData but received "nonce"/,
  ],
  [
    'quote fake key',
    () => tpm.quote({ ...ak, handle: ak.handle + 1 }, { sha256: [0] }, Buffer.from('n')),
    /KeyHandle created by this Tpm .* for ak/,
  ],
  ['quote null key', () => tpm.quote(null as never, { sha256: [0] }, Buffer.from('n')), /for ak but received null/],
  [
    'quote key without name',
    () => tpm.quote({ handle: ak.handle } as never, { sha256: [0] }, Buffer.from('n')),
    /KeyHandle created by this Tpm .* for ak but received value of type object/,
  ],
  ['sign empty', () => tpm.sign(ak, Buffer.alloc(0)), /for message but received Buffer of 0 bytes/],
  ['activate blob', () => tpm.activateCredential(ak, ak, Buffer.alloc(0), Buffer.alloc(1)), /for credentialBlob/],
  [
    'activate secret',
    () => tpm.activateCredential(ak, ak, Buffer.alloc(1), Buffer.alloc(513)),
    /1-512 bytes for secret/,
  ],
  ['seal empty', () => tpm.seal(Buffer.alloc(0), { sha256: [0] }), /1-128 bytes for data/],
  [
    'seal too long',
    () => tpm.seal(Buffer.alloc(129), { sha256: [0] }),
    /1-128 bytes for data but received Buffer of 129 bytes/,
  ],
  ['unseal shape', () => tpm.unseal(null as never, { sha256: [0] }), /for sealed but received null/],
  ['nvDefine index', () => tpm.nvDefine(0x81000000, 8), /NV index 0x01000000-0x01FFFFFF for index/],
  ['nvDefine size', () => tpm.nvDefine(0x01500000, -8), /integer 1-65535 for size but received -8/],
  ['nvDefine attributes', () => tpm.nvDefine(0x01500000, 8, { attributes: -1 }), /for attributes but received -1/],
  ['nvRead size', () => tpm.nvRead(0x01500000, -1), /integer 1-65535 for size but received -1/],
  ['nvRead offset', () => tpm.nvRead(0x01500000, 1, -1), /integer 0-65535 for offset but received -1/],
  ['nvWrite data', () => tpm.nvWrite(0x01500000, [1, 2] as never), /for data but received \[1,2\] of type array/],
  ['flush unknown number', () => tpm.flush(ak.handle + 7), /KeyHandle .* for key but received \d+ of type number/],
  [
    'flush string',
    () => tpm.flush(String(ak.handle) as never),
    /KeyHandle .* for key but received "\d+" of type string/,
  ],
];

t.test('bad arguments give InputError INVALID_ARGUMENT before reaching the TPM', async (t) => {
  const { tpm } = await openTpmFor(t);
  const ak = await tpm.createAk('ecc');
  for (const [label, call, message] of cases(tpm, ak)) {
    await t.rejects(call(tpm), { name: 'InputError', code: 'INVALID_ARGUMENT', message }, label);
  }
  // The context still works after all of that.
  t.equal((await tpm.getRandom(4)).length, 4);
});

t.test('the C++ entry points re-check types and throw instead of crashing', async (t) => {
  const { tpm } = await openTpmFor(t);
  t.ok(tpm);
  const require = createRequire(import.meta.url);
  const native = require(`${ADDON_DIRECTORIES[0]!}${TPM_ADDON_FILE}`) as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  const garbage: unknown[][] = [[], [{}], [{}, 4], [null, 'x'], [Buffer.alloc(8), 4], [123, [[11, 1]]]];
  for (const name of ['getRandom', 'pcrRead', 'quote', 'seal', 'nvRead', 'flush', 'activateCredential']) {
    for (const args of garbage) {
      t.throws(() => native[name]!(...args), TypeError, `${name}(${args.length} bad args)`);
    }
  }
  t.throws(() => native.open!(42), TypeError);
  t.throws(() => native.open!('device:/dev/tpm\0rm0'), TypeError);
});

t.test('selection conversion: random inputs give a selection or an InputError, never another exception', (t) => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      try {
        const pairs = toNativeSelection('selection', value);
        return pairs.length > 0 && pairs.every(([alg, mask]) => alg > 0 && mask > 0 && mask < 1 << 24);
      } catch (error) {
        return error instanceof InputError && error.code === 'INVALID_ARGUMENT';
      }
    }),
  );
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.constantFrom('sha1', 'sha256', 'sha384', 'sha512'),
        fc.uniqueArray(fc.integer({ min: 0, max: 23 })),
      ),
      (selection) => {
        const nonEmpty = Object.values(selection).some((pcrs) => pcrs.length > 0);
        try {
          const pairs = toNativeSelection('selection', selection);
          const bits = pairs.reduce((count, [, mask]) => count + mask.toString(2).replaceAll('0', '').length, 0);
          return nonEmpty && bits === Object.values(selection).reduce((n, pcrs) => n + pcrs.length, 0);
        } catch (error) {
          return !nonEmpty && error instanceof InputError;
        }
      },
    ),
  );
  t.end();
});

t.test('random arguments to every operation: a result or a ConstellationError, never a crash', async (t) => {
  const { tpm } = await openTpmFor(t);
  const ak = await tpm.createAk('ecc');
  const value = fc.oneof(
    fc.anything(),
    fc.integer({ min: -2, max: 70000 }),
    fc.uint8Array({ maxLength: 80 }),
    fc.constant(ak),
    fc.record({ handle: fc.constant(ak.handle), name: fc.anything() }),
    fc.record({ sha256: fc.array(fc.integer({ min: -1, max: 25 }), { maxLength: 3 }) }),
  );
  const operations = [
    (a: unknown) => tpm.getRandom(a as never),
    (a: unknown) => tpm.pcrRead(a as never),
    (a: unknown, b: unknown) => tpm.pcrExtend(a as never, b as never),
    (a: unknown, b: unknown, c: unknown) => tpm.quote(a as never, b as never, c as never),
    (a: unknown, b: unknown) => tpm.sign(a as never, b as never),
    (a: unknown, b: unknown) => tpm.nvRead(a as never, b as never),
    (a: unknown, b: unknown) => tpm.unseal(a as never, b as never),
  ];
  await fc.assert(
    fc.asyncProperty(fc.nat(operations.length - 1), value, value, value, async (which, a, b, c) => {
      try {
        await operations[which]!(a, b, c);
        return true;
      } catch (error) {
        return error instanceof ConstellationError;
      }
    }),
    { numRuns: 150 },
  );
  t.equal((await tpm.getRandom(4)).length, 4, 'the context survived');
});
