import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError } from '../../../../lib/errors.js';
import { issueTdxEvidence } from '../../../../lib/attestation/issuers/tdx-issuer.js';
import { teeReportData } from '../../../../lib/attestation/issuers/report-data.js';
import { missingDirectory, replayConfigfs } from './replayed-configfs.js';
import { tdxQuote, vector } from './tee-vectors.js';

const nonce = Buffer.alloc(16, 0x42);
const binding = Buffer.from('channel public key');

async function scratch(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tdx-issuer-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('configfs-tsm: the recorded SPR quote and the CCEL become TdxEvidence', async (t) => {
  const quote = tdxQuote();
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: quote });
  const dir = await scratch(t);
  const ccelTable = vector('tdx/go-tdx-guest/ccel/ccel_table.dat');
  const ccelData = vector('tdx/go-tdx-guest/ccel/ccel_data.dat');
  await writeFile(join(dir, 'CCEL'), ccelTable);
  await writeFile(join(dir, 'CCEL.data'), ccelData);
  const result = await issueTdxEvidence({
    nonce,
    binding,
    tsmRoot: tsm.root,
    tsmFs: tsm.fs,
    ccelTablePath: join(dir, 'CCEL'),
    ccelDataPath: join(dir, 'CCEL.data'),
  });
  t.equal(result.source, 'configfs-tsm');
  t.same(result.warnings, []);
  t.same(result.evidence.quote, quote);
  t.same(result.evidence.ccelTable, ccelTable);
  t.same(result.evidence.ccEventLog, ccelData);
  t.equal(result.evidence.collateral, undefined);
  t.same(result.document, { version: 1, variant: 'tdx', tpm: undefined, tdx: result.evidence });
  t.same(
    tsm.writes.map((w) => [w.file, w.data.toString('hex')]),
    [['inblob', teeReportData(nonce, binding).toString('hex')]],
  );
  t.same(await tsm.remaining(), []);
});

t.test('an absent CC event log is a warning, not a failure', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: tdxQuote() });
  const dir = await scratch(t);
  const result = await issueTdxEvidence({
    nonce,
    binding,
    tsmRoot: tsm.root,
    tsmFs: tsm.fs,
    ccelTablePath: join(dir, 'none'),
    ccelDataPath: join(dir, 'none.data'),
  });
  t.same(result.evidence.ccEventLog, Buffer.alloc(0));
  t.same(result.evidence.ccelTable, Buffer.alloc(0));
  t.match(result.warnings, [/CC event log not found/]);
});

t.test('an SNP guest is not mistaken for TDX', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.alloc(1184) });
  await t.rejects(issueTdxEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs }), {
    constructor: ConstellationError,
    code: 'TEE_PROVIDER_MISMATCH',
    message: /Expected configfs-tsm provider tdx_guest but the kernel reports "sev_guest"/,
  });
});

t.test('generation races surface as TEE_GENERATION_RACE', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: tdxQuote(), racingReads: 3 });
  await t.rejects(issueTdxEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs }), {
    constructor: ConstellationError,
    code: 'TEE_GENERATION_RACE',
  });
});

t.test(
  '/dev/tdx_guest without configfs-tsm: TEE_UNAVAILABLE that says a quote needs configfs-tsm and QGS',
  async (t) => {
    const dir = await scratch(t);
    const devicePath = join(dir, 'tdx_guest');
    await writeFile(devicePath, '');
    await t.rejects(issueTdxEvidence({ nonce, binding, tsmRoot: await missingDirectory(t), devicePath }), {
      constructor: ConstellationError,
      code: 'TEE_UNAVAILABLE',
      message: /Found .*tdx_guest but no configfs-tsm.*quote generation service \(QGS\).*only a TDREPORT/,
    });
  },
);

t.test('neither configfs-tsm nor /dev/tdx_guest: TEE_UNAVAILABLE naming both', async (t) => {
  const tsmRoot = await missingDirectory(t);
  await t.rejects(issueTdxEvidence({ nonce, binding, tsmRoot, devicePath: '/dev/no-tdx-guest' }), {
    constructor: ConstellationError,
    code: 'TEE_UNAVAILABLE',
    message: new RegExp(`${tsmRoot}/report .*and for /dev/no-tdx-guest\\. Is this a TDX guest\\?`),
  });
});
