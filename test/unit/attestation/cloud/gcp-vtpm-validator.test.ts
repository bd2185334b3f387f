import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import { verifyGcpVtpm } from '../../../../lib/attestation/cloud/gcp-vtpm-validator.js';
import { throwsCode } from '../verify/expect-error.js';
import { GCP_NOW, gcpEvidence, gcpFile, NONCE_9009 } from './gcp-vectors.js';

t.test('gce-cos-85 nonce 9009: AK cert chain valid, all 3 banks verify, replay PCR0-9', (t) => {
  const state = verifyGcpVtpm({
    evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
    expectedQualifyingData: NONCE_9009,
    now: GCP_NOW,
    options: { allowSha1Banks: true },
  });
  t.equal(state.akTrust, 'ak-certificate');
  t.equal(state.akName.toString('hex'), '000bf175bdb57297b2b289973f819863d6c9d09c236725676914f4248c9a2404c2a4');
  t.same(Object.keys(state.pcrs).sort(), ['sha1', 'sha256', 'sha384']);
  t.equal(state.pcrs.sha1?.[0]?.toString('hex'), 'c032c3b51dbb6f96b047421512fd4b4dfde496f3');
  t.equal(Object.keys(state.pcrs.sha256 ?? {}).length, 24);
  t.ok(state.eventLog, 'event log replayed');
  t.ok(state.events.length > 0);
  t.ok(
    state.events.every((e) => e.pcr <= 9),
    'only replay-verified PCRs 0-9 carry events',
  );
  t.end();
});

t.test('a policy PCR listed as partially logged stays that, not one of the platform unlogged PCRs', (t) => {
  const state = verifyGcpVtpm({
    evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
    expectedQualifyingData: NONCE_9009,
    now: GCP_NOW,
    options: { partiallyLoggedPcrs: [11] },
  });
  t.equal(Object.keys(state.pcrs.sha256 ?? {}).length, 24);
  t.ok(
    state.events.every((e) => e.pcr <= 9),
    'events of PCR 11 are never reported as verified',
  );
  t.end();
});

t.test('gce-cos-85 without allowSha1Banks: the sha1 quote is left out and noted', (t) => {
  const state = verifyGcpVtpm({
    evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
    expectedQualifyingData: NONCE_9009,
    now: GCP_NOW,
  });
  t.same(Object.keys(state.pcrs).sort(), ['sha256', 'sha384']);
  t.match(state.notes.join('\n'), /allowSha1Banks/);
  t.end();
});

t.test('stale nonce: the no-nonce recording does not verify for nonce 9009', (t) => {
  throwsCode(
    t,
    () =>
      verifyGcpVtpm({
        evidence: gcpEvidence('gce-cos-85-no-nonce.pb'),
        expectedQualifyingData: NONCE_9009,
        now: GCP_NOW,
      }),
    VerificationError,
    'QUOTE_NONCE_MISMATCH',
  );
  t.end();
});

t.test('AK certificate from another attestation → GCP_AK_CERT_MISMATCH', (t) => {
  for (const file of ['uca_tpm_rsa_sign_cert.pem', 'pca_tpm_rsa_sign_cert.pem', 'uca_tpm_ecc_sign_cert.pem']) {
    const evidence = {
      ...gcpEvidence('gce-cos-85-nonce9009.pb'),
      akCertificateChain: [gcpFile(`ak_ek_certs/${file}`)],
    };
    throwsCode(
      t,
      () => verifyGcpVtpm({ evidence, expectedQualifyingData: NONCE_9009, now: GCP_NOW }),
      VerificationError,
      'GCP_AK_CERT_MISMATCH',
    );
  }
  t.end();
});

t.test('malformed intermediate in the evidence → GCP_AK_CHAIN_INVALID', (t) => {
  const good = gcpEvidence('gce-cos-85-nonce9009.pb');
  const intermediate = gcpFile('ca-certs/tpm_ek_intermediate_2.crt');
  const broken = Buffer.from(intermediate);
  broken[10] = (broken[10] ?? 0) ^ 0xff;
  const evidence = { ...good, akCertificateChain: [...(good.akCertificateChain ?? []), broken] };
  throwsCode(
    t,
    () => verifyGcpVtpm({ evidence, expectedQualifyingData: NONCE_9009, now: GCP_NOW }),
    VerificationError,
    'GCP_AK_CHAIN_INVALID',
  );
  t.end();
});

t.test('AK certificate not chaining to a configured root → GCP_AK_CHAIN_INVALID', (t) => {
  const root = gcpFile('ca-certs/gcp_ek_ak_ca_root.crt');
  const pem = `-----BEGIN CERTIFICATE-----\n${root.toString('base64')}\n-----END CERTIFICATE-----\n`;
  throwsCode(
    t,
    () =>
      verifyGcpVtpm({
        evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
        trust: { akRoots: [pem] },
        expectedQualifyingData: NONCE_9009,
        now: GCP_NOW,
      }),
    VerificationError,
    'GCP_AK_CHAIN_INVALID',
  );
  t.end();
});

t.test('AK certificate checked at a time after its expiry → GCP_AK_CHAIN_INVALID', (t) => {
  throwsCode(
    t,
    () =>
      verifyGcpVtpm({
        evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
        expectedQualifyingData: NONCE_9009,
        now: new Date('2060-01-01T00:00:00Z'),
      }),
    VerificationError,
    'GCP_AK_CHAIN_INVALID',
    /2051/,
  );
  t.end();
});
