// The local image's event log against our own verifier's parser and rules: it parses, its replay equals the
// prediction in every bank, the firmware-log rules hold, the command line and UKI sections are recognised, and the
// command line moves exactly the PCRs documented. fast-check: random component lists round-trip too.
import fc from 'fast-check';
import t from 'tap';
import { checkEventLogRules } from '../../../lib/attestation/eventlog/event-log-rules.js';
import { parseEventLog } from '../../../lib/attestation/eventlog/event-log-parser.js';
import { kernelCommandLines } from '../../../lib/attestation/eventlog/kernel-command-line.js';
import { replayEventLog } from '../../../lib/attestation/eventlog/replay.js';
import { secureBootState } from '../../../lib/attestation/eventlog/secure-boot-state.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import {
  BOOT_BANKS,
  DEFAULT_KERNEL_COMMAND_LINE,
  encodeEventLog,
  expectedPcrs,
  imagePolicy,
  localImage,
  simulateBoot,
  withClusterMeasurement,
  type BootComponent,
} from '../../../lib/boot/index.js';
import { InputError } from '../../../lib/errors.js';
import type { PcrBank } from '../../../lib/tpm/pcr.js';

function hexOf(values: Readonly<Record<number, Buffer>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([pcr, value]) => [pcr, value.toString('hex')]));
}

t.test('the local image log parses, replays to the prediction in every bank and follows the firmware rules', (t) => {
  const image = localImage();
  const log = parseEventLog(encodeEventLog(image));
  t.equal(log.format, 'crypto-agile');
  t.same(log.banks, BOOT_BANKS);
  t.equal(log.events.length, image.length + 1, 'Spec ID header plus one event per component');
  const predicted = expectedPcrs(image);
  for (const bank of BOOT_BANKS) {
    t.same(hexOf(replayEventLog(log, bank)), hexOf(predicted[bank] ?? {}), `${bank} replay equals the prediction`);
  }
  t.same(Object.keys(predicted.sha256).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
  t.same(checkEventLogRules(log), { violations: [], warnings: [] });
  t.equal(secureBootState(log).enabled, false, 'the local image does not claim Secure Boot');
  const lines = kernelCommandLines(log);
  t.same(
    lines.map((line) => [line.pcr, line.commandLine, line.digestVerified]),
    [[8, DEFAULT_KERNEL_COMMAND_LINE, true]],
  );
  const sections = log.events.flatMap((event) =>
    event.pcr === 11 && event.content?.kind === 'ipl' && event.content.ukiSection !== undefined
      ? [event.content.ukiSection]
      : [],
  );
  t.same([...new Set(sections)], ['.linux', '.osrel', '.cmdline', '.initrd']);
  t.end();
});

t.test('deterministic; a changed kernel command line changes PCR 4, 8 and 11 and nothing else', (t) => {
  t.same(encodeEventLog(localImage()), encodeEventLog(localImage()));
  const base = expectedPcrs(localImage()).sha256;
  const debug = expectedPcrs(localImage({ kernelCommandLine: `${DEFAULT_KERNEL_COMMAND_LINE} debug` })).sha256;
  const changed = Object.keys(base).filter((pcr) => !base[Number(pcr)]?.equals(debug[Number(pcr)] ?? Buffer.alloc(0)));
  t.same(changed, ['4', '8', '11'], 'the UKI digest (4), the logged command line (8) and the .cmdline section (11)');
  t.end();
});

t.test('imagePolicy pins PCR 0-14 (untouched ones to zero); withClusterMeasurement adds PCR 15', (t) => {
  const image = localImage();
  const policy = imagePolicy(image);
  t.same(Object.keys(policy.tpm.pcrs.sha256).map(Number), [...Array(15).keys()]);
  t.same(policy.tpm.pcrs.sha256['10'], { expected: ['00'.repeat(32)], mode: 'enforce' });
  t.same(policy.tpm.pcrs.sha256['4']?.expected, [expectedPcrs(image).sha256[4]?.toString('hex')]);
  const bound = withClusterMeasurement(policy, Buffer.alloc(32, 0xab));
  t.same(bound.tpm.pcrs.sha256['15'], { expected: ['ab'.repeat(32)], mode: 'enforce' });
  t.notOk('15' in policy.tpm.pcrs.sha256, 'the input policy is not modified');
  const parsed = parsePolicy(bound);
  t.same(Object.keys(parsed.tpm.pcrs.sha256 ?? {}).length, 16, 'parsePolicy accepts it');
  t.same(Object.keys(imagePolicy(image, { enforce: [4, 11] }).tpm.pcrs.sha256), ['4', '11']);
  t.throws(() => imagePolicy(image, { enforce: [15] }), { constructor: InputError, code: 'INVALID_ARGUMENT' });
  t.throws(() => withClusterMeasurement(policy, Buffer.alloc(31)), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});

const invalidComponents: [string, Partial<BootComponent>, RegExp][] = [
  ['PCR 15 (the Bootstrapper’s)', { pcr: 15 }, /components\[0\]\.pcr/],
  ['PCR 17 (DRTM)', { pcr: 17 }, /components\[0\]\.pcr/],
  ['unknown event type', { eventType: 'EV_MADE_UP' }, /components\[0\]\.eventType/],
  ['EV_NO_ACTION (never extended)', { eventType: 'EV_NO_ACTION' }, /components\[0\]\.eventType/],
  [
    'separator whose measured bytes are not its data',
    { eventType: 'EV_SEPARATOR', measured: Buffer.from('z') },
    /measured/,
  ],
  ['data not a Buffer', { data: 'text' as unknown as Buffer }, /components\[0\]\.data/],
];
for (const [label, change, message] of invalidComponents) {
  t.test(`refuses a component: ${label}; nothing is extended`, async (t) => {
    const component: BootComponent = {
      pcr: 8,
      eventType: 'EV_IPL',
      data: Buffer.from('x'),
      measured: Buffer.from('y'),
      ...change,
    };
    const extended: number[] = [];
    const tpm = {
      pcrExtend: (pcr: number) => {
        extended.push(pcr);
        return Promise.resolve();
      },
    };
    await t.rejects(simulateBoot(tpm, [localImage()[0] as BootComponent, component].reverse()), {
      constructor: InputError,
      code: 'INVALID_ARGUMENT',
      message,
    });
    t.same(extended, []);
  });
}

const freeTypes = ['EV_IPL', 'EV_POST_CODE', 'EV_EFI_BOOT_SERVICES_APPLICATION', 'EV_EVENT_TAG', 'EV_COMPACT_HASH'];
const componentArbitrary: fc.Arbitrary<BootComponent> = fc.oneof(
  fc.record({
    // PCRs 8-14: no look-alike digest rules apply there, so any measured bytes are valid.
    pcr: fc.integer({ min: 8, max: 14 }),
    eventType: fc.constantFrom(...freeTypes),
    data: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    measured: fc.uint8Array({ maxLength: 128 }).map((bytes) => Buffer.from(bytes)),
  }),
  fc
    .record({
      pcr: fc.integer({ min: 0, max: 14 }),
      eventType: fc.constantFrom('EV_EFI_ACTION', 'EV_SEPARATOR'),
      data: fc.uint8Array({ minLength: 5, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    })
    .map((c) => ({ ...c, measured: c.data })),
);

t.test('random component lists: the log parses and its replay equals expectedPcrs in every bank', (t) => {
  fc.assert(
    fc.property(
      fc.array(componentArbitrary, { maxLength: 24 }),
      fc.subarray(['sha1', 'sha256', 'sha384', 'sha512'] as PcrBank[], { minLength: 1 }),
      (components, banks) => {
        const log = parseEventLog(encodeEventLog(components, banks));
        const predicted = expectedPcrs(components, banks);
        for (const bank of banks) {
          if (JSON.stringify(hexOf(replayEventLog(log, bank))) !== JSON.stringify(hexOf(predicted[bank] ?? {}))) {
            return false;
          }
        }
        return log.events.length === components.length + 1;
      },
    ),
    { numRuns: 200 },
  );
  t.end();
});
