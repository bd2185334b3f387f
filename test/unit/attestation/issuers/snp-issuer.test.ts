import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { ConstellationError, InputError } from '../../../../lib/errors.js';
import { issueSnpEvidence } from '../../../../lib/attestation/issuers/snp-issuer.js';
import { teeReportData } from '../../../../lib/attestation/issuers/report-data.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import {
  encodeSnpCertificateTable,
  SNP_CERTIFICATE_GUIDS,
} from '../../../../lib/attestation/issuers/snp-certificate-table.js';
import { TeeDeviceError, type SnpIoctlRequest } from '../../../../native/tee-guest.js';
import { missingDirectory, replayConfigfs } from './replayed-configfs.js';
import { snpMilan, snpMilanCertificateTable } from './tee-vectors.js';

const nonce = Buffer.alloc(32, 0x11);
const binding = Buffer.from('channel public key');

function pemSubjects(chain: Buffer): string[] {
  const pems = chain.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => new X509Certificate(pem).subject);
}

t.test('report data is the binding followed by 32 zero bytes', (t) => {
  const reportData = teeReportData(nonce, binding);
  t.equal(reportData.length, 64);
  t.same(reportData.subarray(0, 32), computeBinding(nonce, binding));
  t.same(reportData.subarray(32), Buffer.alloc(32));
  t.end();
});

t.test('configfs-tsm: recorded Milan report and host certificates become SnpEvidence', async (t) => {
  const milan = snpMilan();
  const tsm = await replayConfigfs(t, {
    provider: 'sev_guest',
    outblob: milan.report,
    auxblob: snpMilanCertificateTable(),
  });
  const result = await issueSnpEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs });
  t.equal(result.source, 'configfs-tsm');
  t.same(result.warnings, []);
  t.same(result.evidence.report, milan.report);
  t.equal(result.evidence.report.length, 1184);
  t.same(result.evidence.signerCertificate, milan.vcek);
  t.same(pemSubjects(result.evidence.certificateChain), [
    new X509Certificate(milan.ask).subject,
    new X509Certificate(milan.ark).subject,
  ]);
  t.match(pemSubjects(result.evidence.certificateChain)[0], /CN=SEV-Milan/);
  t.same(result.evidence.hclReport, Buffer.alloc(0));
  t.same(result.document, { version: 1, variant: 'sev-snp', tpm: undefined, snp: result.evidence });
  t.same(
    tsm.writes.map((w) => w.file),
    ['inblob'],
    'no privlevel unless asked',
  );
  t.same(tsm.writes[0]!.data, teeReportData(nonce, binding));
});

t.test('configfs-tsm: vmpl goes to privlevel', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report });
  await issueSnpEvidence({ nonce, binding, vmpl: 1, tsmRoot: tsm.root, tsmFs: tsm.fs });
  t.same(
    tsm.writes.map((w) => `${w.file}=${w.file === 'privlevel' ? w.data.toString() : w.data.length}`),
    ['privlevel=1\n', 'inblob=64'],
  );
});

t.test('no host certificates → empty signer with a warning for the verifier', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report, auxblob: Buffer.alloc(0) });
  const result = await issueSnpEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs });
  t.same(result.evidence.signerCertificate, Buffer.alloc(0));
  t.same(result.evidence.certificateChain, Buffer.alloc(0));
  t.match(result.warnings, [/no VCEK\/VLEK.*AMD KDS/, /no complete ASK\/ARK chain/]);
});

t.test('a VLEK is used as signer when there is no VCEK', async (t) => {
  const { vcek } = snpMilan();
  const auxblob = encodeSnpCertificateTable([{ guid: SNP_CERTIFICATE_GUIDS.vlek, data: vcek }]);
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report, auxblob });
  const result = await issueSnpEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs });
  t.same(result.evidence.signerCertificate, vcek);
});

t.test('host certificate problems are typed errors', async (t) => {
  const garbageAsk = encodeSnpCertificateTable([
    { guid: SNP_CERTIFICATE_GUIDS.ask, data: Buffer.from('not a certificate') },
    { guid: SNP_CERTIFICATE_GUIDS.ark, data: snpMilan().ark },
  ]);
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report, auxblob: garbageAsk });
  await t.rejects(issueSnpEvidence({ nonce, binding, tsmRoot: tsm.root, tsmFs: tsm.fs }), {
    constructor: ConstellationError,
    code: 'TEE_CERT_TABLE_MALFORMED',
    message: /ASK entry, got 17 unparsable bytes/,
  });
  const truncated = await replayConfigfs(t, {
    provider: 'sev_guest',
    outblob: snpMilan().report,
    auxblob: snpMilanCertificateTable().subarray(0, 40),
  });
  await t.rejects(issueSnpEvidence({ nonce, binding, tsmRoot: truncated.root, tsmFs: truncated.fs }), {
    constructor: InputError,
    code: 'TEE_CERT_TABLE_MALFORMED',
  });
});

t.test('a TDX guest is not mistaken for SNP: provider mismatch, no ioctl fallback', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'tdx_guest', outblob: Buffer.from('quote') });
  let ioctlCalls = 0;
  await t.rejects(
    issueSnpEvidence({
      nonce,
      binding,
      tsmRoot: tsm.root,
      tsmFs: tsm.fs,
      snpIoctl: () => {
        ioctlCalls += 1;
        return Promise.reject(new Error('must not be called'));
      },
    }),
    { constructor: ConstellationError, code: 'TEE_PROVIDER_MISMATCH' },
  );
  t.equal(ioctlCalls, 0);
});

t.test('without configfs-tsm the /dev/sev-guest extended report is used', async (t) => {
  const milan = snpMilan();
  const certs = Buffer.alloc(16384);
  snpMilanCertificateTable().copy(certs);
  const requests: SnpIoctlRequest[] = [];
  const result = await issueSnpEvidence({
    nonce,
    binding,
    tsmRoot: await missingDirectory(t),
    devicePath: '/dev/sev-guest-test',
    snpIoctl: (request) => {
      requests.push(request);
      return Promise.resolve({ report: milan.report, certs });
    },
  });
  t.equal(result.source, 'sev-guest-ioctl');
  t.same(result.evidence.report, milan.report);
  t.same(result.evidence.signerCertificate, milan.vcek);
  t.equal(requests.length, 1);
  t.same(requests[0]!.reportData, teeReportData(nonce, binding));
  t.equal(requests[0]!.extended, true);
  t.equal(requests[0]!.devicePath, '/dev/sev-guest-test');
  t.equal(requests[0]!.vmpl, undefined);
});

t.test('neither configfs-tsm nor the device → TEE_UNAVAILABLE naming both', async (t) => {
  const tsmRoot = await missingDirectory(t);
  await t.rejects(
    issueSnpEvidence({
      nonce,
      binding,
      tsmRoot,
      devicePath: '/dev/no-sev-guest',
      snpIoctl: () => Promise.reject(new TeeDeviceError('TEE_UNAVAILABLE', 'Could not open /dev/no-sev-guest')),
    }),
    {
      constructor: ConstellationError,
      code: 'TEE_UNAVAILABLE',
      message: new RegExp(`${tsmRoot}/report \\(Linux >= 6\\.7.*/dev/no-sev-guest \\(sev-guest driver`),
    },
  );
});

t.test('ioctl failures other than an absent device pass through', async (t) => {
  const failure = new TeeDeviceError('TEE_FIRMWARE_ERROR', 'SNP_GET_EXT_REPORT failed', { fwError: 0x16 });
  await t.rejects(
    issueSnpEvidence({ nonce, binding, tsmRoot: await missingDirectory(t), snpIoctl: () => Promise.reject(failure) }),
    failure,
  );
});

t.test('a short nonce is refused before anything is requested', async (t) => {
  const tsm = await replayConfigfs(t, { provider: 'sev_guest', outblob: snpMilan().report });
  await t.rejects(issueSnpEvidence({ nonce: Buffer.alloc(8), binding, tsmRoot: tsm.root, tsmFs: tsm.fs }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.same(tsm.entries, []);
});
