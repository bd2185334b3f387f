// Full qemu-vtpm verification (AK anchoring with an EK certificate chain, quote over 24 PCRs, replay of the
// largest real event log, policy over all 24 PCRs + event-log rules) against verifyQuote alone.
// Run: node --import tsx bench/tpm-evidence-verify.ts [eventlog file name]
import { randomBytes } from 'node:crypto';
import { statSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { verifyQuote } from '../lib/tpm/quote-verifier.js';
import { parsePolicy } from '../lib/attestation/policy/policy-parser.js';
import { evaluateTpmPolicy } from '../lib/attestation/policy/tpm-policy.js';
import { computeBinding } from '../lib/attestation/verify/binding.js';
import { verifyQemuVtpm, type QemuVtpmInput } from '../lib/attestation/verify/qemu-vtpm-validator.js';
import {
  bootedPcrs,
  createSyntheticTpm,
  EVENTLOG_DIR,
  syntheticQuote,
} from '../test/unit/attestation/verify/synthetic-tpm.js';
import { measure } from './measure.js';

const dir = fileURLToPath(EVENTLOG_DIR);
// Default: the largest recorded log; pass another file name of test/vectors/tpm/go-tpm-tools/eventlogs to compare.
const largest =
  process.argv[2] ?? readdirSync(dir).reduce((a, b) => (statSync(dir + b).size > statSync(dir + a).size ? b : a));
const boot = bootedPcrs(largest);
const tpm = await createSyntheticTpm();
const qd = computeBinding(randomBytes(32), randomBytes(65));
const quote = syntheticQuote(tpm, 'sha256', boot.pcrs, qd);
const input: QemuVtpmInput = {
  evidence: { akPublic: tpm.akPublic, quotes: [quote], eventLog: boot.log, ekCertificate: tpm.ekCertificate },
  trust: {
    ekRoots: [tpm.rootPem],
    ak: { mode: 'credential-activation', activated: { ekPublic: tpm.ekPublicKey, akName: tpm.akName } },
  },
  expectedQualifyingData: qd,
  now: new Date(),
};
// The largest log (a Google Distributed Cloud host) loads an EFI app before the "Calling EFI Application"
// action, which the default event-log rules flag; allow it so the bench measures the accepting path.
const policy = parsePolicy({
  tpm: {
    eventLogRules: { allowEfiAppBeforeCallingEvent: true },
    pcrs: {
      sha256: Object.fromEntries(Object.entries(boot.pcrs).map(([i, v]) => [i, { expected: [v.toString('hex')] }])),
    },
  },
});

console.log(`event log: ${largest} (${boot.log.length} bytes); AK ECDSA P-256; EK RSA-2048 cert from an RSA-2048 CA`);
const quoteOnly = measure('baseline: verifyQuote alone (24 sha256 PCRs)', () =>
  verifyQuote({
    akPublic: tpm.ak,
    attest: quote.attest,
    signature: quote.signature,
    expectedQualifyingData: qd,
    pcrs: { sha256: boot.pcrs },
  }),
);
const full = measure('verifyQemuVtpm (EK chain, anchor, quote, replay)', () => verifyQemuVtpm(input));
const withPolicy = measure('verifyQemuVtpm + evaluateTpmPolicy (24 PCRs, rules)', () => {
  const state = verifyQemuVtpm(input);
  const result = evaluateTpmPolicy(state, policy.tpm, policy.akTrust);
  if (result.violations.length > 0) throw new Error(result.violations.join('\n'));
});
console.log(
  `ratio full+policy / verifyQuote: ${(withPolicy / quoteOnly).toFixed(1)}x; full verification ${withPolicy.toFixed(3)} ms (target ≤ 2 ms)`,
);
console.log(`ratio full / verifyQuote: ${(full / quoteOnly).toFixed(1)}x`);
