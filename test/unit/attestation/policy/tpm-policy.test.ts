// Policy table tests over a real verified state (GCE COS-85): each case changes one thing and expects
// exactly one violation or warning line.
import t from 'tap';
import { PolicyError } from '../../../../lib/errors.js';
import { shortHex } from '../../../../lib/hex.js';
import { verifyGcpVtpm } from '../../../../lib/attestation/cloud/gcp-vtpm-validator.js';
import { evaluatePolicy } from '../../../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { evaluateTpmPolicy } from '../../../../lib/attestation/policy/tpm-policy.js';
import { enforcePolicy } from '../../../../lib/attestation/policy-result.js';
import type { VerifiedMachineState } from '../../../../lib/attestation/verify/machine-state.js';
import { GCP_NOW, gcpEvidence, NONCE_9009 } from '../cloud/gcp-vectors.js';

const state = verifyGcpVtpm({
  evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
  expectedQualifyingData: NONCE_9009,
  now: GCP_NOW,
});
const sha256 = state.pcrs.sha256 ?? {};
const hex = (i: number): string => sha256[i]?.toString('hex') ?? '';
const OTHER = '11'.repeat(32);

/** A policy pinning all 24 sha256 PCRs to the recorded values, with `change` applied to the JSON. */
function pinnedPolicy(change: (json: { tpm: Record<string, unknown>; akTrust?: string[] }) => void = () => undefined) {
  const pcrs: Record<string, { expected: string[]; mode?: string }> = {};
  for (let i = 0; i < 24; i++) pcrs[i] = { expected: [hex(i)] };
  const json = { tpm: { pcrs: { sha256: pcrs } } as Record<string, unknown> };
  change(json);
  return parsePolicy(json);
}

function pcrTable(json: { tpm: Record<string, unknown> }): Record<string, { expected: string[]; mode?: string }> {
  return (json.tpm.pcrs as Record<string, Record<string, { expected: string[]; mode?: string }>>).sha256 ?? {};
}

t.test('all 24 PCRs as recorded → no violation', (t) => {
  const result = evaluateTpmPolicy(state, pinnedPolicy().tpm);
  t.same(result.violations, []);
  t.ok(result.warnings.includes('Secure Boot not checked: policy.tpm.requireSecureBoot is false'));
  t.end();
});

t.test('one PCR off → exactly that violation line', (t) => {
  for (const index of [0, 4, 9, 15, 23]) {
    const policy = pinnedPolicy((json) => {
      const table = pcrTable(json);
      table[index] = { expected: [OTHER] };
    });
    const result = evaluateTpmPolicy(state, policy.tpm);
    t.same(result.violations, [
      `PCR[${index}] (sha256) expected 11111111…, got ${shortHex(sha256[index] ?? Buffer.alloc(0))}`,
    ]);
  }
  t.end();
});

t.test('warn-only PCR off → a warning, no violation', (t) => {
  const policy = pinnedPolicy((json) => {
    pcrTable(json)[4] = { expected: [OTHER], mode: 'warn' };
  });
  const result = evaluateTpmPolicy(state, policy.tpm);
  t.same(result.violations, []);
  t.ok(
    result.warnings.includes(
      `PCR[4] (sha256) expected 11111111…, got ${shortHex(sha256[4] ?? Buffer.alloc(0))} (warn only)`,
    ),
  );
  t.end();
});

t.test('several allowed values: any one matches', (t) => {
  const policy = pinnedPolicy((json) => {
    pcrTable(json)[4] = { expected: [OTHER, hex(4)] };
  });
  t.same(evaluateTpmPolicy(state, policy.tpm).violations, []);
  const wrong = pinnedPolicy((json) => {
    pcrTable(json)[4] = { expected: [OTHER, '22'.repeat(32)] };
  });
  t.match(evaluateTpmPolicy(state, wrong.tpm).violations, [
    /^PCR\[4\] \(sha256\) expected 11111111… or 22222222…, got /,
  ]);
  t.end();
});

t.test('a pinned PCR that no verified quote covers is a violation, never silently skipped', (t) => {
  const policy = parsePolicy({ tpm: { pcrs: { sha512: { 0: { expected: ['00'.repeat(64)] } } } } });
  t.same(evaluateTpmPolicy(state, policy.tpm).violations, [
    'PCR[0] (sha512) expected 00000000…, got no value (the PCR is not in a verified quote)',
  ]);
  t.end();
});

t.test('unset PCRs produce nothing; an empty table is a warning', (t) => {
  const result = evaluateTpmPolicy(state, parsePolicy({}).tpm);
  t.same(result.violations, []);
  t.ok(result.warnings.includes('no PCR value checked: policy.tpm.pcrs is empty'));
  t.end();
});

t.test('SHA-1 values in the state are refused unless allowSha1Banks, naming the setting', (t) => {
  const withSha1 = verifyGcpVtpm({
    evidence: gcpEvidence('gce-cos-85-nonce9009.pb'),
    expectedQualifyingData: NONCE_9009,
    now: GCP_NOW,
    options: { allowSha1Banks: true },
  });
  t.same(evaluateTpmPolicy(withSha1, parsePolicy({}).tpm).violations, [
    'PCR bank expected SHA-256 or stronger, got sha1 values (set policy.tpm.allowSha1Banks=true to accept SHA-1)',
  ]);
  t.same(evaluateTpmPolicy(withSha1, parsePolicy({ tpm: { allowSha1Banks: true } }).tpm).violations, []);
  t.end();
});

t.test('Secure Boot requirement', (t) => {
  const policy = parsePolicy({ tpm: { requireSecureBoot: true } }).tpm;
  t.same(evaluateTpmPolicy({ ...state, secureBoot: { enabled: false } }, policy).violations, [
    'Secure Boot expected enabled, got disabled',
  ]);
  t.same(evaluateTpmPolicy({ ...state, secureBoot: { enabled: true } }, policy).violations, []);
  t.same(evaluateTpmPolicy({ ...state, secureBoot: undefined }, policy).violations, [
    'Secure Boot expected enabled, got unknown (the evidence has no event log)',
  ]);
  t.end();
});

t.test('allowed event digests for a PCR', (t) => {
  const pcr8 = state.events.filter((e) => e.pcr === 8);
  t.ok(pcr8.length > 1, 'fixture has PCR 8 events');
  const digests = pcr8.map((e) => e.digests.sha256?.toString('hex') ?? '');
  t.same(
    evaluateTpmPolicy(state, parsePolicy({ tpm: { allowedEvents: { sha256: { 8: digests } } } }).tpm).violations,
    [],
  );
  const [first, ...rest] = digests;
  const result = evaluateTpmPolicy(
    state,
    parsePolicy({ tpm: { allowedEvents: { sha256: { 8: rest.length > 0 ? rest : [OTHER] } } } }).tpm,
  );
  t.equal(result.violations.length, digests.filter((d) => d === first).length);
  t.match(
    result.violations[0],
    /^PCR\[8\] \(sha256\) event #\d+ \S+ expected a digest in policy\.tpm\.allowedEvents\.sha256\.8, got /,
  );
  t.end();
});

t.test('allowed events for a PCR that no verified quote covers → violation, not a silent pass', (t) => {
  const policy = parsePolicy({ tpm: { allowedEvents: { sha512: { 8: ['00'.repeat(64)] } } } });
  t.same(evaluateTpmPolicy(state, policy.tpm).violations, [
    'PCR[8] (sha512) expected replay-verified events for policy.tpm.allowedEvents, got a PCR that is not in a verified quote',
  ]);
  t.end();
});

t.test('AK anchor not accepted by policy.akTrust', (t) => {
  const policy = parsePolicy({ akTrust: ['credential-activation'] });
  t.same(evaluateTpmPolicy(state, policy.tpm, policy.akTrust).violations, [
    'AK anchor expected credential-activation, got ak-certificate (see policy.akTrust)',
  ]);
  t.end();
});

t.test('event-log rules can be switched off, which is reported', (t) => {
  const result = evaluateTpmPolicy(state, parsePolicy({ tpm: { eventLogRules: { enabled: false } } }).tpm);
  t.ok(result.warnings.includes('event log rules not checked: policy.tpm.eventLogRules.enabled is false'));
  t.end();
});

t.test('evaluatePolicy + enforcePolicy: PolicyError listing every violation', (t) => {
  const machine = {
    variant: 'gcp-vtpm',
    tpm: state,
    snp: undefined,
    tdx: undefined,
    ccEventLog: undefined,
    azureRuntimeClaims: undefined,
  } as unknown as VerifiedMachineState;
  const policy = pinnedPolicy((json) => {
    pcrTable(json)[4] = { expected: [OTHER] };
    pcrTable(json)[7] = { expected: [OTHER] };
    json.akTrust = ['credential-activation'];
  });
  const result = evaluatePolicy(machine, policy);
  t.equal(result.violations.length, 3);
  try {
    enforcePolicy(result, 'node 10.0.0.5');
    t.fail('expected PolicyError');
  } catch (error) {
    t.ok(error instanceof PolicyError);
    t.equal((error as PolicyError).code, 'POLICY_VIOLATION');
    t.same((error as PolicyError).violations, result.violations);
  }
  const noTpm = { ...machine, tpm: undefined } as unknown as VerifiedMachineState;
  t.same(evaluatePolicy(noTpm, pinnedPolicy()).violations, [
    'TPM evidence expected by policy.tpm.pcrs, got none (variant gcp-vtpm)',
  ]);
  const snpWanted = parsePolicy({ snp: { allowDebug: false } });
  t.same(evaluatePolicy(machine, snpWanted).violations, [
    'SNP evidence expected by policy.snp, got none (variant gcp-vtpm)',
  ]);
  t.end();
});
