import t, { type Test } from 'tap';
import fc from 'fast-check';
import { flagName, parseTime, validateVerifyFlags, type VerifyFlags } from '../../../cli/attestation/verify-flags.js';
import { parsePcrsJson, readAkPublic, wrapRawSignature } from '../../../cli/attestation/evidence-loader.js';
import { UsageError } from '../../../cli/usage-error.js';
import { InputError } from '../../../lib/errors.js';
import { ConstellationError } from '../../../lib/errors.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSignature } from '../../../lib/tpm/signature.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));
const fixed = (): Date => new Date('2024-01-01T00:00:00Z');

function usage(t: Test, fn: () => unknown, message: RegExp): void {
  try {
    fn();
    t.fail('expected a UsageError');
  } catch (error) {
    t.ok(error instanceof UsageError, 'UsageError');
    t.ok(error instanceof InputError, 'which is an InputError (exit 2)');
    t.equal((error as UsageError).code, 'USAGE');
    t.match((error as Error).message, message);
  }
}

t.test('selects exactly one evidence form', (t) => {
  const r = validateVerifyFlags({ snpReport: 'r', signerCert: 'c', nonce: '0x0102' }, fixed);
  t.equal(r.form, 'snp');
  t.same(r.nonce, { kind: 'exact', value: Buffer.from([1, 2]) });
  t.same(r.now, fixed());
  t.equal(r.output, 'text');
  t.equal(validateVerifyFlags({ gcpAttestation: 'a', anyNonce: true, output: 'json' }, fixed).output, 'json');
  t.equal(
    validateVerifyFlags({ document: 'd', nonce: '', time: '2023-07-01T01:00:00Z' }).now.toISOString(),
    '2023-07-01T01:00:00.000Z',
  );
  t.end();
});

const cases: { name: string; flags: VerifyFlags; message: RegExp }[] = [
  { name: 'none', flags: { nonce: '' }, message: /but received none/ },
  {
    name: 'two',
    flags: { document: 'd', gcpAttestation: 'g', nonce: '' },
    message: /--document and --gcp-attestation/,
  },
  {
    name: 'tpm without pcrs',
    flags: { tpmAttest: 'a', tpmSignature: 's', akPublic: 'k', nonce: '' },
    message: /--tpm-attest needs --pcrs <file>/,
  },
  {
    name: 'azure without AK',
    flags: { azureQuote: 'q', nonce: '' },
    message: /--azure-quote needs --ak-public <file>/,
  },
  {
    name: 'signer cert on tdx',
    flags: { tdxQuote: 'q', signerCert: 'c', nonce: '' },
    message: /--signer-cert does not apply to --tdx-quote/,
  },
  {
    name: 'ccel table alone',
    flags: { tdxQuote: 'q', ccelTable: 't', nonce: '' },
    message: /--ccel-table needs --cc-event-log/,
  },
  { name: 'nonce too long', flags: { document: 'd', nonce: 'aa'.repeat(65) }, message: /up to 64 bytes/ },
  {
    name: 'odd hex',
    flags: { document: 'd', nonce: 'abc' },
    message: /even-length hex for --nonce but received "abc"/,
  },
  { name: 'time without zone', flags: { document: 'd', nonce: '', time: '2024-01-01T10:00' }, message: /ISO-8601/ },
  { name: 'impossible date', flags: { document: 'd', nonce: '', time: '2024-02-31T00:00:00Z' }, message: /ISO-8601/ },
  { name: 'output', flags: { document: 'd', nonce: '', output: 'xml' }, message: /Expected text or json for --output/ },
];

t.test('rejects bad flag combinations with a message naming the flag', (t) => {
  for (const tc of cases) {
    t.test(tc.name, (t) => {
      usage(t, () => validateVerifyFlags(tc.flags, fixed), tc.message);
      t.end();
    });
  }
  t.end();
});

t.test('flag names', (t) => {
  t.equal(flagName('snpReport'), '--snp-report');
  t.equal(flagName('ccEventLog'), '--cc-event-log');
  t.end();
});

t.test('parseTime: random strings give a Date or a UsageError', (t) => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
      (s) => {
        try {
          return !Number.isNaN(parseTime(s).getTime());
        } catch (error) {
          return error instanceof UsageError;
        }
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
  t.end();
});

t.test('parsePcrsJson', (t) => {
  const r = parsePcrsJson(JSON.stringify({ sha256: { '0': 'aa'.repeat(32), '23': 'bb'.repeat(32) } }));
  t.equal(r.bank, 'sha256');
  t.same(Object.keys(r.values), ['0', '23']);
  usage(t, () => parsePcrsJson('{'), /not JSON/);
  usage(t, () => parsePcrsJson('[]'), /Expected an object/);
  usage(t, () => parsePcrsJson('{"sha1": {}, "sha256": {}}'), /exactly one PCR bank/);
  usage(t, () => parsePcrsJson('{"md5": {}}'), /exactly one PCR bank/);
  usage(t, () => parsePcrsJson('{"sha256": {"x": "00"}}'), /decimal index/);
  usage(t, () => parsePcrsJson('{"sha256": {"0": 5}}'), /decimal index and a hex value/);
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
      try {
        parsePcrsJson(text);
        return true;
      } catch (error) {
        return error instanceof UsageError;
      }
    }),
    { numRuns: 2000 },
  );
  t.end();
});

t.test('readAkPublic: TPMT_PUBLIC, TPM2B_PUBLIC and PEM', (t) => {
  const dump = JSON.parse(readFileSync(`${VECTORS}tpm/go-attestation/windows_gcp_shielded_vm.json`, 'utf8')) as {
    AK: { Public: string };
  };
  const tpmt = Buffer.from(dump.AK.Public, 'base64');
  const tpm2b = Buffer.concat([Buffer.from([tpmt.length >> 8, tpmt.length & 0xff]), tpmt]);
  t.same(readAkPublic(tpmt).raw, tpmt);
  t.same(readAkPublic(tpm2b).raw, tpmt, 'size-prefixed form');
  const pem = readAkPublic(readFileSync(`${VECTORS}azure/azure-cvm-tooling/akpub.pem`));
  t.equal(pem.type, 'rsa');
  try {
    readAkPublic(Buffer.from('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n'));
    t.fail('expected an error');
  } catch (error) {
    t.ok(error instanceof InputError);
    t.equal((error as InputError).code, 'AK_PUBLIC_INVALID');
  }
  try {
    readAkPublic(Buffer.from([1, 2, 3]));
    t.fail('expected an error');
  } catch (error) {
    t.ok(error instanceof ConstellationError, `typed error (${String(error)})`);
  }
  t.end();
});

t.test('wrapRawSignature wraps only a bare modulus-sized RSA signature', (t) => {
  const ak = readAkPublic(readFileSync(`${VECTORS}azure/azure-cvm-tooling/akpub.pem`));
  const raw = readFileSync(`${VECTORS}azure/azure-cvm-tooling/quote_2024.sig.bin`);
  const wrapped = wrapRawSignature(ak, raw);
  const sig = parseSignature(wrapped);
  t.equal(sig.kind, 'rsa');
  t.equal(sig.sigAlg, 0x0014);
  t.same(wrapRawSignature(ak, wrapped), wrapped, 'a TPMT_SIGNATURE is left alone');
  t.end();
});
