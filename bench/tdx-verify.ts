// TDX quote verification: without collateral, with cached (pre-verified) collateral, and with collateral
// parsed and verified on every call; baseline is one ECDSA P-256 verify (the quote signature alone).
// Positive path: the synthetic Intel-shaped PKI from the tests (UpToDate). Real path: the go-tdx-guest v4
// quote at 2023-07-01, whose verification ends, as upstream, in TDX_TCB_LEVEL_NOT_FOUND after all checks.
// Run: node --import tsx bench/tdx-verify.ts
import { createPublicKey, verify } from 'node:crypto';
import { parseTdxQuote, verifyTdxCollateral, verifyTdxQuoteSync, TDX_ERROR } from '../lib/attestation/tdx/index.js';
import type { VerifyTdxQuoteOptions } from '../lib/attestation/tdx/index.js';
import { ConstellationError } from '../lib/errors.js';
import { clearCertificateCache } from '../lib/attestation/tdx/certificate-cache.js';
import { SYNTHETIC_TIME, syntheticTdx } from '../test/unit/attestation/tdx/synthetic-intel-pki.js';
import { tdxVector, V4_QUOTE, V4_TIME, v4Collateral } from '../test/unit/attestation/tdx/tdx-vectors.js';
import { measure } from './measure.js';

/** Runs a verification that must end in TDX_TCB_LEVEL_NOT_FOUND (the upstream outcome of the v4 vector). */
function expectTcbLevelNotFound(options: VerifyTdxQuoteOptions): void {
  try {
    verifyTdxQuoteSync(options);
  } catch (error) {
    if (error instanceof ConstellationError && error.code === TDX_ERROR.TCB_LEVEL_NOT_FOUND) return;
    throw error;
  }
  throw new Error('expected TDX_TCB_LEVEL_NOT_FOUND');
}

const pki = await syntheticTdx();
const quote = parseTdxQuote(pki.quote);
const attestationKey = createPublicKey({
  key: {
    kty: 'EC',
    crv: 'P-256',
    x: quote.attestationKey.subarray(0, 32).toString('base64url'),
    y: quote.attestationKey.subarray(32).toString('base64url'),
  },
  format: 'jwk',
});
const common = { quote: pki.quote, trustedRoot: pki.trustedRoot, now: SYNTHETIC_TIME };
const cached = verifyTdxCollateral({ collateral: pki.collateral, trustedRoot: pki.trustedRoot, now: SYNTHETIC_TIME });
if (verifyTdxQuoteSync({ ...common, collateral: cached }).tcbStatus !== 'UpToDate')
  throw new Error('expected UpToDate');

console.log('synthetic PKI (UpToDate):');
const baseline = measure('baseline: crypto.verify, one ECDSA P-256 signature', () => {
  verify('sha256', quote.signedBytes, { key: attestationKey, dsaEncoding: 'ieee-p1363' }, quote.signature);
});
const bare = measure('verifyTdxQuote, no collateral (signatures + PCK chain)', () => verifyTdxQuoteSync(common));
const withCached = measure('verifyTdxQuote, cached collateral', () =>
  verifyTdxQuoteSync({ ...common, collateral: cached }),
);
const full = measure('verifyTdxQuote, collateral verified every call', () =>
  verifyTdxQuoteSync({ ...common, collateral: pki.collateral }),
);
const cold = measure('verifyTdxQuote, collateral every call, cold certificate cache', () => {
  clearCertificateCache();
  verifyTdxQuoteSync({ ...common, collateral: pki.collateral });
});

console.log('real go-tdx-guest v4 quote + Intel collateral at 2023-07-01 (ends in TCB_LEVEL_NOT_FOUND):');
const realQuote = tdxVector(V4_QUOTE);
const realCollateral = v4Collateral();
const realCached = verifyTdxCollateral({ collateral: realCollateral, now: V4_TIME });
const realBare = measure('verifyTdxQuote, no collateral', () => verifyTdxQuoteSync({ quote: realQuote, now: V4_TIME }));
const realWithCached = measure('verifyTdxQuote, cached collateral', () => {
  expectTcbLevelNotFound({ quote: realQuote, collateral: realCached, now: V4_TIME });
});
const realFull = measure('verifyTdxQuote, collateral verified every call', () => {
  expectTcbLevelNotFound({ quote: realQuote, collateral: realCollateral, now: V4_TIME });
});

console.log(
  `ratios vs one ECDSA verify: synthetic no-collateral ${(bare / baseline).toFixed(1)}x, cached ${(withCached / baseline).toFixed(1)}x, full ${(full / baseline).toFixed(1)}x, cold ${(cold / baseline).toFixed(1)}x; ` +
    `real no-collateral ${(realBare / baseline).toFixed(1)}x, cached ${(realWithCached / baseline).toFixed(1)}x, full ${(realFull / baseline).toFixed(1)}x`,
);
console.log(
  `cached collateral: ${withCached.toFixed(3)} ms (target <= 3 ms: ${withCached <= 3 ? 'met' : 'missed'}); full/cached ${(full / withCached).toFixed(1)}x`,
);
