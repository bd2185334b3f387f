import t from 'tap';
import { VerificationError, InputError } from '../../../lib/errors.js';
import { TpmReader } from '../../../lib/tpm/tpm-reader.js';
import { TpmWriter } from '../../../lib/tpm/tpm-writer.js';

t.test('reads big-endian integers and TPM2B fields in order', (t) => {
  const bytes = new TpmWriter()
    .u8(0xab)
    .u16(0x0102)
    .u32(0xff544347)
    .u64(0x0102030405060708n)
    .sized(Buffer.from('hi'))
    .toBuffer();
  t.equal(bytes.toString('hex'), 'ab0102ff544347010203040506070800026869');
  const r = new TpmReader(bytes, 'TEST');
  t.equal(r.u8('a'), 0xab);
  t.equal(r.u16('b'), 0x0102);
  t.equal(r.u32('c'), 0xff544347);
  t.equal(r.u64('d'), 0x0102030405060708n);
  t.same(r.sized('e'), Buffer.from('hi'));
  t.equal(r.remaining, 0);
  r.end();
  t.end();
});

t.test('never reads past the end and names field, offset and shortfall', (t) => {
  const r = new TpmReader(Buffer.from([0x00, 0x05, 0xaa]), 'TPMS_EXAMPLE');
  t.throws(() => r.sized('extraData'), {
    constructor: VerificationError,
    code: 'TPM_STRUCTURE_MALFORMED',
    message: 'TPMS_EXAMPLE: Expected 5 bytes for extraData at offset 2 but only 1 remain',
  });
  const r2 = new TpmReader(Buffer.alloc(3), 'X');
  t.throws(() => r2.u32('magic'), {
    code: 'TPM_STRUCTURE_MALFORMED',
    message: /Expected 4 bytes for magic at offset 0 but only 3 remain/,
  });
  t.end();
});

t.test('enforces TPM2B maximum sizes and exact structure ends', (t) => {
  const r = new TpmReader(Buffer.from([0x00, 0x41, ...Buffer.alloc(65)]), 'X');
  t.throws(() => r.sized('digest', 64), {
    code: 'TPM_STRUCTURE_MALFORMED',
    message: /at most 64 bytes for digest at offset 0, got 65/,
  });
  const r2 = new TpmReader(Buffer.from([1, 2, 3]), 'X');
  r2.u8('first');
  t.throws(
    () => {
      r2.end();
    },
    {
      constructor: VerificationError,
      code: 'TPM_STRUCTURE_MALFORMED',
      message: /offset 1 but 2 more bytes follow/,
    },
  );
  t.end();
});

t.test('copies returned bytes so later writes to the input do not change them', (t) => {
  const input = Buffer.from([0, 2, 7, 8]);
  const field = new TpmReader(input, 'X').sized('f');
  input[2] = 0;
  t.same(field, Buffer.from([7, 8]));
  t.end();
});

t.test('writer refuses a TPM2B over 65535 bytes', (t) => {
  t.throws(() => new TpmWriter().sized(Buffer.alloc(65536)), { constructor: InputError, code: 'INVALID_ARGUMENT' });
  t.end();
});
