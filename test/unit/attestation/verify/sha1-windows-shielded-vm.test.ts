// go-attestation's Windows GCP Shielded VM attestation: a SHA-1 AK, a SHA-1 quote over 24 SHA-1 PCRs and a
// legacy SHA-1 event log. SHA-1 is refused unless the policy opts in, and the refusal names the setting.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { VerificationError } from '../../../../lib/errors.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { evaluateTpmPolicy } from '../../../../lib/attestation/policy/tpm-policy.js';
import { verifyQemuVtpm } from '../../../../lib/attestation/verify/qemu-vtpm-validator.js';
import type { TpmEvidence } from '../../../../lib/attestation/verify/tpm-evidence.js';
import { objectName } from '../../../../lib/tpm/object-name.js';
import { parsePublic } from '../../../../lib/tpm/public-area.js';
import { throwsCode } from './expect-error.js';

interface WindowsVector {
  AK: { Public: string };
  Quote: { Nonce: string; Quote: string; Signature: string };
  Log: { PCRs: { Index: number; Digest: string; DigestAlg: number }[]; Raw: string };
}

const vector = JSON.parse(
  readFileSync(new URL('../../../vectors/tpm/go-attestation/windows_gcp_shielded_vm.json', import.meta.url), 'utf8'),
) as WindowsVector;
const akPublic = Buffer.from(vector.AK.Public, 'base64');
const akName = objectName(parsePublic(akPublic)).toString('hex');
const pcrs = Object.fromEntries(vector.Log.PCRs.map((p) => [p.Index, Buffer.from(p.Digest, 'base64')]));
const evidence: TpmEvidence = {
  akPublic,
  quotes: [
    {
      pcrBank: 'sha1',
      attest: Buffer.from(vector.Quote.Quote, 'base64'),
      signature: Buffer.from(vector.Quote.Signature, 'base64'),
      pcrs,
    },
  ],
  eventLog: Buffer.from(vector.Log.Raw, 'base64'),
};
// The recording has no EK certificate; its AK is anchored by pinning its name.
const trust = { ekRoots: [], ak: { mode: 'pinned-ak-names' as const, akNames: [akName] } };
const base = { evidence, trust, expectedQualifyingData: Buffer.alloc(0), now: new Date('2024-01-01T00:00:00Z') };

t.test('SHA-1 refused by default, the error names policy.tpm.allowSha1Banks', (t) => {
  throwsCode(t, () => verifyQemuVtpm(base), VerificationError, 'TPM_SHA1_REFUSED', /policy\.tpm\.allowSha1Banks=true/);
  t.end();
});

t.test('accepted with the opt-in: the quote verifies and replay reproduces all 24 PCRs', (t) => {
  const state = verifyQemuVtpm({ ...base, options: { allowSha1Banks: true, unloggedPcrs: [] } });
  t.equal(Object.keys(state.pcrs.sha1 ?? {}).length, 24);
  t.equal(state.eventLog?.format, 'sha1-legacy');
  t.equal(state.secureBoot?.enabled, true);
  t.equal(state.akTrust, 'pinned-ak-names');
  // Windows Boot Manager is loaded before the "Calling EFI Application" action: an event-log rule flags it.
  const strict = parsePolicy({ tpm: { allowSha1Banks: true, requireSecureBoot: true } });
  t.match(evaluateTpmPolicy(state, strict.tpm).violations, [/^PCR\[4\] EV_EFI_BOOT_SERVICES_APPLICATION/]);
  const policy = parsePolicy({
    tpm: { allowSha1Banks: true, requireSecureBoot: true, eventLogRules: { allowEfiAppBeforeCallingEvent: true } },
  });
  t.same(evaluateTpmPolicy(state, policy.tpm).violations, []);
  t.end();
});

t.test('SHA-1 signature refused even when only the SHA-1 bank check is bypassed (signature hash)', (t) => {
  // Claiming the quote is over sha256 does not get a SHA-1 signature past the default.
  const widened = Object.fromEntries(Object.entries(pcrs).map(([k, v]) => [k, Buffer.concat([v, Buffer.alloc(12)])]));
  const relabelled: TpmEvidence = {
    ...evidence,
    quotes: evidence.quotes.map((q) => ({ ...q, pcrBank: 'sha256', pcrs: widened })),
  };
  throwsCode(
    t,
    () => verifyQemuVtpm({ ...base, evidence: relabelled }),
    VerificationError,
    'TPM_SHA1_REFUSED',
    /allowSha1Banks/,
  );
  t.end();
});

t.test('a tampered PCR value does not verify (opt-in or not)', (t) => {
  const tampered = { ...pcrs, 7: Buffer.alloc(20, 1) };
  const quotes = evidence.quotes.map((q) => ({ ...q, pcrs: tampered }));
  throwsCode(
    t,
    () => verifyQemuVtpm({ ...base, evidence: { ...evidence, quotes }, options: { allowSha1Banks: true } }),
    VerificationError,
    'QUOTE_PCR_DIGEST_MISMATCH',
  );
  t.end();
});
