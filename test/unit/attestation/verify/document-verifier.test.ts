// verifyDocument dispatch on real and synthetic documents, then evaluatePolicy on the verified state.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VerificationError } from '../../../../lib/errors.js';
import type { AttestationDocument, TpmQuote } from '../../../../lib/attestation/document/attestation-document.js';
import { evaluatePolicy } from '../../../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { verifyDocument, type AttestationTrust } from '../../../../lib/attestation/verify/document-verifier.js';
import { GCP_NOW, gcpEvidence, NONCE_9009 } from '../cloud/gcp-vectors.js';
import { rejectsCode } from './expect-error.js';
import { bootedPcrs, CLUSTER_PCR15, createSyntheticTpm, syntheticQuote } from './synthetic-tpm.js';

const VECTORS = new URL('../../../vectors/', import.meta.url);
const vector = (path: string): Buffer => readFileSync(new URL(path, VECTORS));

const tpm = await createSyntheticTpm();
const boot = bootedPcrs('ubuntu-2404-amd-sevsnp.bin');
const nonce = randomBytes(32);
const channelKey = randomBytes(91);
const trust: AttestationTrust = {
  tpm: {
    ekRoots: [tpm.rootPem],
    ak: { mode: 'credential-activation', activated: { ekPublic: tpm.ekPublicKey, akName: tpm.akName } },
  },
};

function qemuDocument(qualifyingData: Buffer): AttestationDocument {
  return {
    version: 1,
    variant: 'qemu-vtpm',
    tpm: {
      akPublic: tpm.akPublic,
      quotes: [syntheticQuote(tpm, 'sha256', boot.pcrs, qualifyingData) as TpmQuote],
      eventLog: boot.log,
      ekCertificate: tpm.ekCertificate,
      akCertificateChain: [],
    },
  };
}

t.test('qemu-vtpm: verified with the nonce and channel binding, then the policy pins PCR 15', async (t) => {
  const doc = qemuDocument(computeBinding(nonce, channelKey));
  const state = await verifyDocument(doc, trust, { nonce, binding: channelKey }, new Date('2026-01-01T00:00:00Z'));
  t.equal(state.variant, 'qemu-vtpm');
  t.same(state.tpm?.pcrs.sha256?.[15], CLUSTER_PCR15);
  const good = parsePolicy({ tpm: { pcrs: { sha256: { 15: { expected: [CLUSTER_PCR15.toString('hex')] } } } } });
  t.same(evaluatePolicy(state, good).violations, []);
  const otherCluster = parsePolicy({ tpm: { pcrs: { sha256: { 15: { expected: ['ab'.repeat(32)] } } } } });
  t.same(evaluatePolicy(state, otherCluster).violations, [
    `PCR[15] (sha256) expected abababab…, got ${CLUSTER_PCR15.subarray(0, 4).toString('hex')}…`,
  ]);
});

t.test('qemu-vtpm: evidence for another channel key does not verify (relay)', async (t) => {
  const doc = qemuDocument(computeBinding(nonce, randomBytes(91)));
  await rejectsCode(
    t,
    () => verifyDocument(doc, trust, { nonce, binding: channelKey }, new Date('2026-01-01T00:00:00Z')),
    VerificationError,
    'QUOTE_NONCE_MISMATCH',
  );
});

t.test('qemu-vtpm without TPM trust material → ATTESTATION_EVIDENCE_MISSING', async (t) => {
  const doc = qemuDocument(computeBinding(nonce, channelKey));
  await rejectsCode(
    t,
    () => verifyDocument(doc, {}, { nonce, binding: channelKey }, new Date()),
    VerificationError,
    'ATTESTATION_EVIDENCE_MISSING',
    /trust\.tpm/,
  );
});

t.test('gcp-vtpm: recorded COS-85 document with raw qualifying data 9009', async (t) => {
  const evidence = gcpEvidence('gce-cos-85-nonce9009.pb');
  const doc: AttestationDocument = {
    version: 1,
    variant: 'gcp-vtpm',
    tpm: {
      akPublic: Buffer.from(evidence.akPublic),
      quotes: evidence.quotes.map((q) => ({
        ...q,
        pcrBank: q.pcrBank as 'sha1',
        attest: Buffer.from(q.attest),
        signature: Buffer.from(q.signature),
        pcrs: q.pcrs as Record<number, Buffer>,
      })),
      eventLog: Buffer.from(evidence.eventLog ?? []),
      akCertificateChain: (evidence.akCertificateChain ?? []).map((c) => Buffer.from(c)),
    },
  };
  const state = await verifyDocument(doc, {}, { qualifyingData: NONCE_9009 }, GCP_NOW);
  t.equal(state.tpm?.akTrust, 'ak-certificate');
  t.same(Object.keys(state.tpm?.pcrs ?? {}).sort(), ['sha256', 'sha384']);
  const withSha1 = await verifyDocument(doc, {}, { qualifyingData: NONCE_9009 }, GCP_NOW, {
    policy: parsePolicy({ tpm: { allowSha1Banks: true } }),
  });
  t.same(Object.keys(withSha1.tpm?.pcrs ?? {}).sort(), ['sha1', 'sha256', 'sha384']);
  await rejectsCode(
    t,
    () => verifyDocument(doc, {}, { qualifyingData: Buffer.from([0x90, 0x08]) }, GCP_NOW),
    VerificationError,
    'QUOTE_NONCE_MISMATCH',
  );
});

const snpDoc: AttestationDocument = {
  version: 1,
  variant: 'sev-snp',
  tee: {
    kind: 'snp',
    report: vector('sev-snp/go-sev-guest/attestation.bin'),
    signerCertificate: vector('sev-snp/go-sev-guest/vcek.testcer'),
  },
};
const SNP_NOW = new Date('2024-01-01T00:00:00Z');

t.test('sev-snp: go-sev-guest report verifies; report data must be the binding; debug refused by policy', async (t) => {
  const state = await verifyDocument(snpDoc, {}, { qualifyingData: Buffer.from('0102030405', 'hex') }, SNP_NOW);
  t.equal(state.snp?.product, 'Milan');
  t.equal(state.tpm, undefined);
  const result = evaluatePolicy(state, parsePolicy({}));
  t.ok(
    result.violations.some((v) => /DEBUG/.test(v) && /allowDebug/.test(v)),
    result.violations.join('\n'),
  );
  const lenient = evaluatePolicy(state, parsePolicy({ snp: { allowDebug: true } }));
  t.notOk(lenient.violations.some((v) => /DEBUG/.test(v)));
  await rejectsCode(
    t,
    () => verifyDocument(snpDoc, {}, { nonce, binding: channelKey }, SNP_NOW),
    VerificationError,
    'ATTESTATION_REPORT_DATA_MISMATCH',
  );
});

t.test('sev-snp without a signer certificate → ATTESTATION_EVIDENCE_MISSING', async (t) => {
  const doc: AttestationDocument = {
    version: 1,
    variant: 'sev-snp',
    tee: { kind: 'snp', report: vector('sev-snp/go-sev-guest/attestation.bin') },
  };
  await rejectsCode(
    t,
    () => verifyDocument(doc, {}, { qualifyingData: Buffer.from('0102030405', 'hex') }, SNP_NOW),
    VerificationError,
    'ATTESTATION_EVIDENCE_MISSING',
  );
});

const tdxDoc: AttestationDocument = {
  version: 1,
  variant: 'tdx',
  tee: {
    kind: 'tdx',
    quote: vector('tdx/go-tdx-guest/ccel/cos-113-tdx-quote.dat'),
    ccEventLog: vector('tdx/go-tdx-guest/ccel/ccel_data.dat'),
    ccelTable: vector('tdx/go-tdx-guest/ccel/ccel_table.dat'),
  },
};
const TDX_NOW = new Date('2025-01-01T00:00:00Z');

t.test('tdx: COS-113 quote verifies, the CC event log replays to its RTMRs', async (t) => {
  const state = await verifyDocument(
    tdxDoc,
    {},
    { qualifyingData: vector('tdx/go-tdx-guest/ccel/nonce.dat') },
    TDX_NOW,
  );
  t.equal(state.tdx?.collateralChecked, false);
  t.ok(state.ccEventLog !== undefined && state.ccEventLog.events.length > 40);
  const result = evaluatePolicy(state, parsePolicy({}));
  t.ok(
    result.violations.some((v) => /allowMissingCollateral/.test(v)),
    'missing collateral refused by default',
  );
});

t.test('tdx: a truncated CC event log (last event removed) does not reproduce the RTMRs', async (t) => {
  const log = Buffer.from(vector('tdx/go-tdx-guest/ccel/ccel_data.dat'));
  // Cut the log before its last event (0xff marks the end of a CCEL area).
  const { parseCcel } = await import('../../../../lib/attestation/eventlog/ccel.js');
  const parsed = parseCcel(vector('tdx/go-tdx-guest/ccel/ccel_table.dat'), log);
  const last = parsed.log.events[parsed.log.events.length - 1];
  if (last === undefined) throw new Error('fixture has events');
  log.fill(0xff, last.offset);
  const doc: AttestationDocument = {
    ...tdxDoc,
    tee: { ...(tdxDoc.tee as Extract<AttestationDocument['tee'], { kind: 'tdx' }>), ccEventLog: log },
  };
  await rejectsCode(
    t,
    () => verifyDocument(doc, {}, { qualifyingData: Buffer.alloc(0) }, TDX_NOW),
    VerificationError,
    'TDX_RTMR_REPLAY_MISMATCH',
  );
});
