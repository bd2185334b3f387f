import t from 'tap';
import fc from 'fast-check';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError, InputError } from '../../../../lib/errors.js';
import {
  nodeTsmFilesystem,
  requestTsmReport,
  tsmReportsAvailable,
} from '../../../../lib/attestation/issuers/configfs-tsm-report.js';
import { missingDirectory, replayConfigfs } from './replayed-configfs.js';
import { snpMilan, snpMilanCertificateTable } from './tee-vectors.js';

const inblob = Buffer.alloc(64, 0xab);

t.test('replays outblob and auxblob, writes inblob once, and removes its entry', async (t) => {
  const { report } = snpMilan();
  const auxblob = snpMilanCertificateTable();
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: report, auxblob });
  const result = await requestTsmReport({ inblob, provider: 'sev_guest', root: tsm.root, fs: tsm.fs });
  t.same(result.outblob, report);
  t.same(result.auxblob, auxblob);
  t.equal(result.provider, 'sev_guest');
  t.equal(result.generation, 1, 'one write → generation 1');
  t.equal(tsm.writes.length, 1);
  t.equal(tsm.writes[0]!.file, 'inblob');
  t.same(tsm.writes[0]!.data, inblob);
  t.equal(tsm.entries.length, 1);
  t.match(tsm.entries[0]!, /report\/constellation-\d+-[0-9a-f]{12}$/);
  t.same(await tsm.remaining(), [], 'entry removed');
});

t.test('privlevel is written before inblob and counts as a write', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report });
  const result = await requestTsmReport({ inblob, provider: 'sev_guest', privlevel: 2, root: tsm.root, fs: tsm.fs });
  t.equal(result.generation, 2);
  t.same(
    tsm.writes.map((w) => [w.file, w.data.toString('utf8')]),
    [
      ['privlevel', '2\n'],
      ['inblob', inblob.toString('utf8')],
    ],
  );
  t.same(result.auxblob, Buffer.alloc(0), 'no auxblob file → empty');
});

t.test('a racing writer is detected; one race is retried in a fresh entry', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: Buffer.from('quote'), racingReads: 1 });
  const result = await requestTsmReport({ inblob, provider: 'tdx_guest', root: tsm.root, fs: tsm.fs });
  t.same(result.outblob, Buffer.from('quote'));
  t.equal(tsm.entries.length, 2, 'second entry after the race');
  t.same(await tsm.remaining(), [], 'both entries removed');
});

t.test('persistent races end in TEE_GENERATION_RACE', async (t) => {
  for (const attempts of [1, 3]) {
    const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: Buffer.from('q'), racingReads: 99 });
    await t.rejects(
      requestTsmReport({ inblob, provider: 'tdx_guest', root: tsm.root, fs: tsm.fs, attempts }),
      { constructor: ConstellationError, code: 'TEE_GENERATION_RACE', message: /expected generation 1 .* got 2/i },
      `attempts=${attempts}`,
    );
    t.equal(tsm.entries.length, attempts);
    t.same(await tsm.remaining(), []);
  }
});

t.test('provider mismatch is refused without writing inblob', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: Buffer.from('q') });
  await t.rejects(requestTsmReport({ inblob, provider: 'sev_guest', root: tsm.root, fs: tsm.fs }), {
    constructor: ConstellationError,
    code: 'TEE_PROVIDER_MISMATCH',
    message: /Expected configfs-tsm provider sev_guest but the kernel reports "tdx_guest"/,
  });
  t.same(tsm.writes, []);
  t.same(await tsm.remaining(), []);
});

t.test('absent root → TEE_UNAVAILABLE naming the path and the kernel requirement', async (t) => {
  const root = await missingDirectory(t);
  await t.rejects(requestTsmReport({ inblob, provider: 'sev_guest', root }), {
    constructor: ConstellationError,
    code: 'TEE_UNAVAILABLE',
    message: new RegExp(`${root}/report.*Linux >= 6\\.7.*CONFIG_TSM_REPORTS`),
  });
  t.equal(await tsmReportsAvailable(root), false);
});

t.test('kernel failures and unparsable answers → TEE_REPORT_FAILED', async (t) => {
  const denied = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.from('r'), mkdirError: 'EACCES' });
  await t.rejects(requestTsmReport({ inblob, provider: 'sev_guest', root: denied.root, fs: denied.fs }), {
    constructor: ConstellationError,
    code: 'TEE_REPORT_FAILED',
    message: /mkdir .*EACCES/,
  });
  const garbage = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.from('r'), generationText: 'x\n' });
  await t.rejects(requestTsmReport({ inblob, provider: 'sev_guest', root: garbage.root, fs: garbage.fs }), {
    code: 'TEE_REPORT_FAILED',
    message: /Expected a decimal generation counter .* but received "x"/,
  });
  const empty = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.alloc(0) });
  await t.rejects(requestTsmReport({ inblob, provider: 'sev_guest', root: empty.root, fs: empty.fs }), {
    code: 'TEE_REPORT_FAILED',
    message: /got 0 bytes/,
  });
});

t.test('arguments are validated before touching the filesystem', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.from('r') });
  const base = { provider: 'sev_guest', root: tsm.root, fs: tsm.fs } as const;
  const cases = [
    { name: 'inblob', request: { ...base, inblob: Buffer.alloc(65) } },
    { name: 'inblob', request: { ...base, inblob: 'text' as unknown as Buffer } },
    { name: 'privlevel', request: { ...base, inblob, privlevel: -1 } },
    { name: 'privlevel', request: { ...base, inblob, privlevel: 1.5 } },
    { name: 'attempts', request: { ...base, inblob, attempts: 0 } },
  ];
  for (const { name, request } of cases) {
    await t.rejects(requestTsmReport(request), {
      constructor: InputError,
      code: 'INVALID_ARGUMENT',
      message: new RegExp(`for ${name} but received`),
    });
  }
  t.same(tsm.entries, []);
});

t.test('the default filesystem sees a report directory', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tsm-real-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  t.equal(await tsmReportsAvailable(root, nodeTsmFilesystem), false);
  await mkdir(join(root, 'report'));
  t.equal(await tsmReportsAvailable(root, nodeTsmFilesystem), true);
});

t.test('property: any generation text gives a report or a typed error', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.from('r') });
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 24 }), fc.nat().map(String)), async (text) => {
      const entry = await replayConfigfs(t, { provider: 'sev_guest', outblob: Buffer.from('r'), generationText: text });
      try {
        const report = await requestTsmReport({ inblob, provider: 'sev_guest', root: entry.root, fs: entry.fs });
        return report.generation === Number(text.trim()) + 1;
      } catch (error) {
        return error instanceof ConstellationError && ['TEE_REPORT_FAILED', 'TEE_GENERATION_RACE'].includes(error.code);
      }
    }),
    { numRuns: 40 },
  );
  t.same(await tsm.remaining(), []);
});
