// tpm.partiallyLoggedPcrs through verifyDocument and evaluatePolicy: PCR 11 as the node image measures it (logged
// systemd-stub events, then unlogged systemd-pcrphase extensions) and PCR 10 (IMA, no firmware events). The quoted
// value is trusted only through the pin; the PCR's events are never reported as verified.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { EV, parseEventLog, replayEventLog } from '../../../../lib/attestation/eventlog/index.js';
import type { AttestationDocument, TpmQuote } from '../../../../lib/attestation/document/attestation-document.js';
import { evaluatePolicy } from '../../../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { enforcePolicy } from '../../../../lib/attestation/policy-result.js';
import { verifyDocument, type AttestationTrust } from '../../../../lib/attestation/verify/document-verifier.js';
import { PolicyError, VerificationError } from '../../../../lib/errors.js';
import { buildAgileLog, extend } from '../eventlog/log-builder.js';
import { rejectsCode, throwsCode } from './expect-error.js';
import { createSyntheticTpm, syntheticQuote } from './synthetic-tpm.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const tpm = await createSyntheticTpm();
const trust: AttestationTrust = {
  tpm: {
    ekRoots: [tpm.rootPem],
    ak: { mode: 'credential-activation', activated: { ekPublic: tpm.ekPublicKey, akName: tpm.akName } },
  },
};
const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const ipl = (pcr: number, text: string) => ({ pcr, type: EV.IPL, data: Buffer.from(text) });

/** A node that booted `kernel`: the log, and all 24 quoted PCRs including the unlogged extensions. */
function bootedNode(kernel: string): { log: Buffer; pcrs: Record<number, Buffer> } {
  const log = buildAgileLog([ipl(4, 'uki'), ipl(11, '.linux'), ipl(11, kernel)], ['sha256']);
  const replayed = replayEventLog(parseEventLog(log), 'sha256');
  const pcrs: Record<number, Buffer> = {};
  for (let i = 0; i < 24; i++) pcrs[i] = replayed[i] ?? Buffer.alloc(32, i >= 17 && i <= 22 ? 0xff : 0);
  pcrs[10] = extend('sha256', Buffer.alloc(32), sha256('ima boot_aggregate'));
  pcrs[11] = ['sysinit', 'ready'].reduce(
    (value, phase) => extend('sha256', value, sha256(phase)),
    replayed[11] ?? Buffer.alloc(32),
  );
  return { log, pcrs };
}

function document(node: { log: Buffer; pcrs: Record<number, Buffer> }, qualifyingData: Buffer): AttestationDocument {
  return {
    version: 1,
    variant: 'qemu-vtpm',
    tpm: {
      akPublic: tpm.akPublic,
      quotes: [syntheticQuote(tpm, 'sha256', node.pcrs, qualifyingData) as TpmQuote],
      eventLog: node.log,
      ekCertificate: tpm.ekCertificate,
      akCertificateChain: [],
    },
  };
}

const genuine = bootedNode('kernel');
const pins = {
  4: { expected: [genuine.pcrs[4]?.toString('hex')] },
  11: { expected: [genuine.pcrs[11]?.toString('hex')] },
};
// The synthetic log has no separators: the event-log rules are not what this test is about.
const imagePolicy = parsePolicy({
  tpm: {
    pcrs: { sha256: pins },
    unloggedPcrs: [10, 15, 16, 23],
    partiallyLoggedPcrs: [11],
    eventLogRules: { enabled: false },
  },
});

t.test('the image policy accepts the node; PCR 11 events are not reported as verified', async (t) => {
  const qualifyingData = randomBytes(32);
  const state = await verifyDocument(document(genuine, qualifyingData), trust, { qualifyingData }, NOW, {
    policy: imagePolicy,
  });
  const pcrs = state.tpm?.events.map((event) => event.pcr) ?? [];
  t.ok(pcrs.includes(4), 'the PCR 4 event is verified');
  t.notOk(pcrs.includes(11), 'no PCR 11 event is reported as verified');
  t.equal(state.tpm?.eventLog?.events.filter((event) => event.pcr === 11).length, 2, 'the log has them');
  const result = evaluatePolicy(state, imagePolicy);
  t.same(result.violations, []);
  t.doesNotThrow(() => {
    enforcePolicy(result, 'node');
  });
});

t.test('without partiallyLoggedPcrs the unlogged extensions fail the replay', async (t) => {
  const qualifyingData = randomBytes(32);
  const withoutList = parsePolicy({
    tpm: { pcrs: { sha256: pins }, unloggedPcrs: [10, 15, 16, 23], eventLogRules: { enabled: false } },
  });
  await rejectsCode(
    t,
    () => verifyDocument(document(genuine, qualifyingData), trust, { qualifyingData }, NOW, { policy: withoutList }),
    VerificationError,
    'EVENTLOG_REPLAY_MISMATCH',
    /PCR\[11\] \(sha256\) replayed .*, quoted/,
  );
  // And PCR 10 fails too when it is not listed as unlogged.
  await rejectsCode(
    t,
    () =>
      verifyDocument(document(genuine, qualifyingData), trust, { qualifyingData }, NOW, { policy: parsePolicy({}) }),
    VerificationError,
    'EVENTLOG_REPLAY_MISMATCH',
    /PCR\[10\] \(sha256\) reset value \(no events\)/,
  );
});

t.test('a tampered logged event in PCR 11 changes the quoted value: the pin rejects the node', async (t) => {
  const qualifyingData = randomBytes(32);
  const tampered = bootedNode('evil-kernel');
  const state = await verifyDocument(document(tampered, qualifyingData), trust, { qualifyingData }, NOW, {
    policy: imagePolicy,
  });
  const result = evaluatePolicy(state, imagePolicy);
  t.equal(result.violations.length, 1);
  t.match(result.violations[0], /^PCR\[11\] \(sha256\) expected [0-9a-f]{8}…, got [0-9a-f]{8}…$/);
  throwsCode(
    t,
    () => {
      enforcePolicy(result, 'node');
    },
    PolicyError,
    'POLICY_VIOLATION',
    /PCR\[11\]/,
  );
});
