// Verifies every quote of a TPM evidence with one AK and merges what they signed. PCR values come only
// from verifyQuote's result (the signed selection), never from the document's PCR maps directly, and
// every quote must carry the same qualifying data, so no PCR can be taken from an unverified or stale quote.
import { VerificationError } from '../../errors.js';
import { isPcrBank, PCR_COUNT, PCR_DIGEST_SIZE, type PcrBank, type PcrValues } from '../../tpm/pcr.js';
import type { TpmPublic } from '../../tpm/public-area.js';
import { verifyQuote } from '../../tpm/quote-verifier.js';
import { TpmErrorCode } from '../../tpm/tpm-error-codes.js';
import { TpmVerifyErrorCode } from './tpm-verify-errors.js';

/** Quotes per evidence we look at; one per bank is normal (sha1, sha256, sha384, sha512). */
export const MAX_QUOTES = 8;

/** One quote as the attestation document carries it (proto TpmQuote). */
export interface TpmQuoteEvidence {
  readonly pcrBank: string;
  readonly attest: Uint8Array;
  readonly signature: Uint8Array;
  readonly pcrs: Readonly<Record<number, Uint8Array>>;
}

export interface VerifiedQuotes {
  /** Union of the signed PCRs of every used quote. */
  readonly pcrs: PcrValues;
  /** Why some quotes were left out (SHA-1 banks when not allowed). */
  readonly notes: readonly string[];
}

function toBuffers(quote: TpmQuoteEvidence, bank: PcrBank, i: number): Record<number, Buffer> {
  const values: Record<number, Buffer> = {};
  for (const [key, value] of Object.entries(quote.pcrs)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= PCR_COUNT || !(value instanceof Uint8Array)) {
      throw new VerificationError(
        TpmVerifyErrorCode.EVIDENCE_MALFORMED,
        `quote[${i}] expected PCR values keyed 0-${PCR_COUNT - 1}, got key ${JSON.stringify(key)}`,
      );
    }
    if (value.length !== PCR_DIGEST_SIZE[bank]) {
      throw new VerificationError(
        TpmVerifyErrorCode.EVIDENCE_MALFORMED,
        `quote[${i}] PCR[${index}] (${bank}) expected ${PCR_DIGEST_SIZE[bank]} bytes, got ${value.length}`,
      );
    }
    values[index] = Buffer.from(value);
  }
  return values;
}

const SHA1_KNOB = 'set policy.tpm.allowSha1Banks=true to accept';

export function verifyTpmQuotes(
  ak: TpmPublic,
  quotes: readonly TpmQuoteEvidence[],
  expectedQualifyingData: Uint8Array,
  allowSha1: boolean,
): VerifiedQuotes {
  if (quotes.length === 0)
    throw new VerificationError(TpmVerifyErrorCode.QUOTE_MISSING, 'expected at least 1 quote, got 0');
  if (quotes.length > MAX_QUOTES) {
    throw new VerificationError(
      TpmVerifyErrorCode.EVIDENCE_MALFORMED,
      `expected at most ${MAX_QUOTES} quotes, got ${quotes.length}`,
    );
  }
  const merged: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  const origin = new Map<string, number>();
  const notes: string[] = [];
  let used = 0;
  let boot: { readonly quote: number; readonly resetCount: number; readonly restartCount: number } | undefined;
  quotes.forEach((quote, i) => {
    const bank = quote.pcrBank;
    if (!isPcrBank(bank)) {
      throw new VerificationError(
        TpmVerifyErrorCode.EVIDENCE_MALFORMED,
        `quote[${i}] expected pcrBank sha1, sha256, sha384 or sha512, got ${JSON.stringify(bank)}`,
      );
    }
    if (bank === 'sha1' && !allowSha1) {
      notes.push(`quote[${i}] over the sha1 bank was not used (${SHA1_KNOB})`);
      return;
    }
    let verified;
    try {
      verified = verifyQuote({
        akPublic: ak,
        attest: quote.attest,
        signature: quote.signature,
        expectedQualifyingData,
        pcrs: { [bank]: toBuffers(quote, bank, i) },
        allowSha1,
      });
    } catch (error) {
      if (error instanceof VerificationError && error.code === TpmErrorCode.QUOTE_SHA1_REFUSED) {
        throw new VerificationError(
          TpmVerifyErrorCode.SHA1_REFUSED,
          `quote[${i}] expected a SHA-256 or stronger signature, got SHA-1 (${SHA1_KNOB})`,
          { cause: error },
        );
      }
      throw error;
    }
    // Quotes taken across a TPM reset or restart describe different boots; their PCRs must not be merged.
    const clock = verified.attest.clockInfo;
    if (boot === undefined) boot = { quote: i, resetCount: clock.resetCount, restartCount: clock.restartCount };
    else if (boot.resetCount !== clock.resetCount || boot.restartCount !== clock.restartCount) {
      throw new VerificationError(
        TpmVerifyErrorCode.QUOTES_INCONSISTENT,
        `quote[${i}] expected the same TPM boot as quote[${boot.quote}] (resetCount ${boot.resetCount}, restartCount ${boot.restartCount}), got resetCount ${clock.resetCount}, restartCount ${clock.restartCount}`,
      );
    }
    used++;
    for (const [signedBank, values] of Object.entries(verified.pcrs) as [PcrBank, Readonly<Record<number, Buffer>>][]) {
      // A multi-bank selection may include SHA-1 values; keep them out unless allowed.
      if (signedBank === 'sha1' && !allowSha1) continue;
      const target = (merged[signedBank] ??= {});
      for (const [key, value] of Object.entries(values)) {
        const index = Number(key);
        const previous = target[index];
        if (previous !== undefined && !previous.equals(value)) {
          throw new VerificationError(
            TpmVerifyErrorCode.QUOTES_INCONSISTENT,
            `PCR[${index}] (${signedBank}) expected the same value in quote[${origin.get(`${signedBank}/${index}`) ?? 0}] and quote[${i}], got two different values`,
          );
        }
        target[index] = value;
        origin.set(`${signedBank}/${index}`, i);
      }
    }
  });
  if (used === 0) {
    throw new VerificationError(
      TpmVerifyErrorCode.SHA1_REFUSED,
      `expected a quote over a SHA-256 or stronger PCR bank, got only SHA-1 quotes (${SHA1_KNOB})`,
    );
  }
  return { pcrs: merged, notes };
}
