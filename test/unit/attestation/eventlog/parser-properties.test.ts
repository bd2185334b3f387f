// Property tests: random bytes and mutated real logs give an EventLog or a typed ConstellationError,
// never another exception; everything downstream of a successful parse behaves the same way.
import fc from 'fast-check';
import t from 'tap';
import {
  checkEventLogRules,
  kernelCommandLines,
  parseCcel,
  parseEventLog,
  replayCcel,
  replayEventLog,
  secureBootState,
  verifyReplay,
  type EventLog,
} from '../../../../lib/attestation/eventlog/index.js';
import { ConstellationError } from '../../../../lib/errors.js';
import { realTpmLogs, vector } from './vector-files.js';

/** Runs `fn`; a ConstellationError is an accepted outcome, anything else fails the property. */
function typedOutcome(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (error instanceof ConstellationError) return true;
    throw error;
  }
}

function exerciseLog(log: EventLog): void {
  for (const bank of log.banks) typedOutcome(() => replayEventLog(log, bank));
  typedOutcome(() => {
    verifyReplay(log, { sha256: { 0: Buffer.alloc(32) } }, { unloggedPcrs: [10] });
  });
  typedOutcome(() => checkEventLogRules(log, {}));
  typedOutcome(() => secureBootState(log));
  typedOutcome(() => kernelCommandLines(log));
}

function parsesOrTypedError(bytes: Buffer): boolean {
  return typedOutcome(() => {
    exerciseLog(parseEventLog(bytes));
  });
}

const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({
      kind: fc.constant('huge' as const),
      at: fc.nat(Math.max(0, length - 4)),
      value: fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 0x10000, length + 1),
    }),
  );

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'huge'; at: number; value: number };

function apply(bytes: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') return bytes.subarray(0, m.at);
  const copy = Buffer.from(bytes);
  if (m.kind === 'flip') copy[m.at] = (copy[m.at] ?? 0) ^ m.mask;
  else if (m.at + 4 <= copy.length) copy.writeUInt32LE(m.value, m.at);
  return copy;
}

t.test('random bytes → EventLog or ConstellationError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => parsesOrTypedError(Buffer.from(bytes))),
    {
      numRuns: 2000,
    },
  );
  t.pass('2000 random inputs');
  t.end();
});

t.test('random bytes after a valid Spec ID header → EventLog or ConstellationError', (t) => {
  const header = vector('tpm/go-tpm-tools/eventlogs/rhel8-uefi.bin').subarray(0, 32 + 45);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (tail) => parsesOrTypedError(Buffer.concat([header, tail]))),
    { numRuns: 1000 },
  );
  t.pass('1000 inputs');
  t.end();
});

for (const [name, bytes] of realTpmLogs()) {
  t.test(`${name}: mutated (flips, truncation, huge length fields) → EventLog or ConstellationError`, (t) => {
    if (bytes.length < 8) {
      t.fail(`${name} is unexpectedly short`);
      return;
    }
    // Record length fields are where hostile sizes matter most: aim "huge" at them half the time.
    const sizeFields = fieldOffsets(bytes);
    fc.assert(
      fc.property(
        fc.array(mutation(bytes.length), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...sizeFields),
        fc.constantFrom(0xffffffff, 0x7fffffff, 0x1000001),
        (mutations, field, value) => {
          let mutated = bytes;
          for (const m of mutations) mutated = apply(mutated, m);
          const hugeField = Buffer.from(bytes);
          hugeField.writeUInt32LE(value, field);
          return parsesOrTypedError(mutated) && parsesOrTypedError(hugeField);
        },
      ),
      { numRuns: 60 },
    );
    t.pass(`${name}: 60 runs`);
    t.end();
  });
}

t.test('CCEL: mutated log area and table → result or ConstellationError', (t) => {
  const table = vector('tdx/go-tdx-guest/ccel/ccel_table.dat');
  const data = vector('tdx/go-tdx-guest/ccel/ccel_data.dat').subarray(0, 18200);
  fc.assert(
    fc.property(fc.array(mutation(data.length), { minLength: 1, maxLength: 3 }), mutation(table.length), (ms, tm) => {
      let mutated = data;
      for (const m of ms) mutated = apply(mutated, m);
      return typedOutcome(() => {
        const ccel = parseCcel(apply(table, tm), mutated);
        replayCcel(ccel);
        exerciseLog(ccel.log);
      });
    }),
    { numRuns: 150 },
  );
  t.pass('150 runs');
  t.end();
});

/** Offsets of every u32 data-size field of the parsed records (plus the header's). */
function fieldOffsets(bytes: Buffer): number[] {
  const log = parseEventLog(bytes);
  return log.events.map((e, i) => (log.events[i + 1]?.offset ?? bytes.length) - e.data.length - 4);
}
