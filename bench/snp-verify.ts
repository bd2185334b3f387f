// SEV-SNP report verification cost: with the AMD chain verified once and reused (the verifier's normal
// mode), with the chain re-verified for every report, and crypto.verify of the report alone as baseline.
// Run: node --import tsx bench/snp-verify.ts
import { readFileSync } from 'node:fs';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { verifyAmdChain } from '../lib/attestation/snp/amd-chain.js';
import { verifySnpReport } from '../lib/attestation/snp/snp-verifier.js';
import { measure } from './measure.js';

const vectors = new URL('../test/vectors/sev-snp/', import.meta.url);
const report = readFileSync(new URL('virtee-sev/report_milan.bin', vectors));
const vcek = readFileSync(new URL('virtee-sev/vcek_milan.der', vectors));
const now = new Date('2024-06-01T00:00:00Z');

const key = createPublicKey(new X509Certificate(vcek).publicKey.export({ format: 'pem', type: 'spki' }));
const signature = Buffer.concat([
  Buffer.from(report.subarray(0x2a0, 0x2a0 + 48)).reverse(),
  Buffer.from(report.subarray(0x2e8, 0x2e8 + 48)).reverse(),
]);
const signed = report.subarray(0, 0x2a0);

const baseline = measure('crypto.verify (ECDSA P-384) alone', () => {
  if (!verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('baseline failed');
});
const chain = verifyAmdChain({ product: 'Milan', now });
const cached = measure('verifySnpReport, chain verified once', () => {
  verifySnpReport({ report, signer: vcek, chain, now });
});
const uncached = measure('verifySnpReport, chain verified per report', () => {
  verifySnpReport({ report, signer: vcek, now });
});

console.log('');
console.log(`cached   / baseline: ${(cached / baseline).toFixed(2)}x`);
console.log(`uncached / baseline: ${(uncached / baseline).toFixed(2)}x`);
console.log(`uncached / cached:   ${(uncached / cached).toFixed(2)}x`);
console.log(`target ≤ 1 ms with cached chain: ${cached <= 1 ? 'met' : 'NOT met'} (${cached.toFixed(3)} ms)`);
