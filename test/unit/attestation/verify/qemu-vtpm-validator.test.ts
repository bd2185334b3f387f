// qemu-vtpm validator: a valid synthetic TPM (real event log, certified EK, credential activation) and the
// attacks the original Constellation validator did not stop (anchors.md §4.3 items 1, 3, 4, 5, 18).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { VerificationError } from '../../../../lib/errors.js';
import { parseEventLog } from '../../../../lib/attestation/eventlog/event-log-parser.js';
import { EV } from '../../../../lib/attestation/eventlog/event-types.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { verifyQemuVtpm, type QemuVtpmInput } from '../../../../lib/attestation/verify/qemu-vtpm-validator.js';
import type { TpmTrust } from '../../../../lib/attestation/verify/ak-trust.js';
import { marshalPublic } from '../../../../lib/tpm/public-marshal.js';
import { TPMA_OBJECT } from '../../../../lib/tpm/tpm-constants.js';
import { throwsCode } from './expect-error.js';
import { bootedPcrs, CLUSTER_PCR15, createSyntheticTpm, syntheticQuote } from './synthetic-tpm.js';

const NOW = new Date('2026-11-01T00:00:00Z');
const nonce = randomBytes(32);
const channelKey = randomBytes(65);
const qd = computeBinding(nonce, channelKey);

const tpm = await createSyntheticTpm();
const other = await createSyntheticTpm({ caName: 'Another Manufacturer' });
const boot = bootedPcrs('rhel8-uefi.bin');

function trust(overrides: Partial<TpmTrust> = {}): TpmTrust {
  return {
    ekRoots: [tpm.rootPem],
    ak: { mode: 'credential-activation', activated: { ekPublic: tpm.ekPublicKey, akName: tpm.akName } },
    ...overrides,
  };
}

function input(overrides: Partial<QemuVtpmInput['evidence']> = {}, rest: Partial<QemuVtpmInput> = {}): QemuVtpmInput {
  return {
    evidence: {
      akPublic: tpm.akPublic,
      quotes: [syntheticQuote(tpm, 'sha256', boot.pcrs, qd)],
      eventLog: boot.log,
      ekCertificate: tpm.ekCertificate,
      ...overrides,
    },
    trust: trust(),
    expectedQualifyingData: qd,
    now: NOW,
    ...rest,
  };
}

t.test('valid: certified EK, activated AK, quote over all 24 PCRs, replay of a real log', (t) => {
  const state = verifyQemuVtpm(input());
  t.equal(state.akTrust, 'credential-activation');
  t.equal(state.ek?.fingerprint.length, 64);
  t.equal(Object.keys(state.pcrs.sha256 ?? {}).length, 24);
  t.same(state.pcrs.sha256?.[15], CLUSTER_PCR15, 'unlogged PCR 15 taken from the signed quote');
  t.equal(state.secureBoot?.enabled, true, 'rhel8 log has Secure Boot on');
  t.ok(state.events.length > 50);
  t.notOk(
    state.events.some((e) => e.pcr === 15),
    'no events claimed for unlogged PCRs',
  );
  t.end();
});

t.test('valid with an RSA AK and with an ECC AK', async (t) => {
  const rsa = await createSyntheticTpm({ ak: 'rsa' });
  const state = verifyQemuVtpm({
    evidence: {
      akPublic: rsa.akPublic,
      quotes: [syntheticQuote(rsa, 'sha256', boot.pcrs, qd)],
      eventLog: boot.log,
      ekCertificate: rsa.ekCertificate,
    },
    trust: {
      ekRoots: [rsa.rootPem],
      ak: { mode: 'credential-activation', activated: { ekPublic: rsa.ekPublicKey, akName: rsa.akName } },
    },
    expectedQualifyingData: qd,
    now: NOW,
  });
  t.equal(state.akTrust, 'credential-activation');
});

t.test('attack: unsigned PCR appended to a quote that does not select it', (t) => {
  const signed = Object.fromEntries(Object.entries(boot.pcrs).filter(([k]) => Number(k) < 15));
  const quote = syntheticQuote(tpm, 'sha256', signed, qd);
  const forged = { ...quote, pcrs: { ...quote.pcrs, 15: Buffer.alloc(32, 0x42) } };
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ quotes: [forged] })),
    VerificationError,
    'QUOTE_PCR_NOT_SIGNED',
    /PCR\[15\]/,
  );
  // Without the forged value the state simply has no PCR 15: nothing unsigned is ever used.
  const state = verifyQemuVtpm(input({ quotes: [quote] }));
  t.equal(state.pcrs.sha256?.[15], undefined);
  t.end();
});

t.test('attack: PCR values taken from a different quote than the verified one', (t) => {
  const otherBoot = bootedPcrs('ubuntu-2104-no-secure-boot.bin');
  const quote = syntheticQuote(tpm, 'sha256', boot.pcrs, qd);
  const swapped = { ...quote, pcrs: otherBoot.pcrs };
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ quotes: [swapped], eventLog: otherBoot.log })),
    VerificationError,
    'QUOTE_PCR_DIGEST_MISMATCH',
  );
  t.end();
});

t.test('attack: two quotes disagree about a PCR', (t) => {
  const second = syntheticQuote(tpm, 'sha256', { ...boot.pcrs, 15: Buffer.alloc(32, 7) }, qd);
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ quotes: [syntheticQuote(tpm, 'sha256', boot.pcrs, qd), second] })),
    VerificationError,
    'TPM_QUOTES_INCONSISTENT',
    /PCR\[15\]/,
  );
  t.end();
});

t.test('attack: quotes from two boots (TPM reset in between) are not merged', (t) => {
  const clockInfo = { clock: 5n, resetCount: 4, restartCount: 0, safe: true };
  const sha384 = bootedPcrs('rhel8-uefi.bin', 'sha384');
  const later = syntheticQuote(tpm, 'sha384', sha384.pcrs, qd, { attestFields: { clockInfo } });
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ quotes: [syntheticQuote(tpm, 'sha256', boot.pcrs, qd), later] })),
    VerificationError,
    'TPM_QUOTES_INCONSISTENT',
    /same TPM boot/,
  );
  t.end();
});

t.test('attack: stale nonce (a quote made for an earlier challenge)', (t) => {
  const stale = syntheticQuote(tpm, 'sha256', boot.pcrs, computeBinding(randomBytes(32), channelKey));
  throwsCode(t, () => verifyQemuVtpm(input({ quotes: [stale] })), VerificationError, 'QUOTE_NONCE_MISMATCH');
  t.end();
});

t.test('attack: quote bound to another channel key (relay)', (t) => {
  const relayed = syntheticQuote(tpm, 'sha256', boot.pcrs, computeBinding(nonce, randomBytes(65)));
  throwsCode(t, () => verifyQemuVtpm(input({ quotes: [relayed] })), VerificationError, 'QUOTE_NONCE_MISMATCH');
  t.end();
});

t.test('attack: AK not bound to the EK (valid EK certificate, unrelated AK)', (t) => {
  // The attacker presents the genuine EK certificate but quotes with a software key of their own.
  const quote = syntheticQuote(other, 'sha256', boot.pcrs, qd);
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ akPublic: other.akPublic, quotes: [quote] })),
    VerificationError,
    'TPM_AK_UNTRUSTED',
    /credential activation expected for the quoting AK/,
  );
  t.end();
});

t.test('attack: credential activation done against another EK', (t) => {
  const rest = {
    trust: trust({
      ak: { mode: 'credential-activation', activated: { ekPublic: other.ekPublicKey, akName: tpm.akName } },
    }),
  };
  throwsCode(t, () => verifyQemuVtpm(input({}, rest)), VerificationError, 'TPM_AK_UNTRUSTED', /certified EK/);
  t.end();
});

t.test('AK without an anchor is refused: no activation result', (t) => {
  throwsCode(
    t,
    () => verifyQemuVtpm(input({}, { trust: trust({ ak: { mode: 'credential-activation' } }) })),
    VerificationError,
    'TPM_AK_UNTRUSTED',
  );
  t.end();
});

t.test('EK certificate from a CA that is not configured → TPM_EK_CHAIN_INVALID', (t) => {
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ ekCertificate: other.ekCertificate })),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
  throwsCode(
    t,
    () => verifyQemuVtpm(input({}, { trust: trust({ ekRoots: [other.rootPem] }) })),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
  t.end();
});

t.test('EK certificate missing, or checked after it expired → TPM_EK_CHAIN_INVALID', (t) => {
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ ekCertificate: Buffer.alloc(0) })),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
  throwsCode(
    t,
    () => verifyQemuVtpm(input({}, { now: new Date('2045-01-01T00:00:00Z') })),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
    /expected valid at 2045/,
  );
  t.end();
});

t.test('pinned AK names: accepted when pinned, refused otherwise', (t) => {
  const pinned = verifyQemuVtpm(
    input({}, { trust: trust({ ak: { mode: 'pinned-ak-names', akNames: [tpm.akName.toString('hex')] } }) }),
  );
  t.equal(pinned.akTrust, 'pinned-ak-names');
  throwsCode(
    t,
    () =>
      verifyQemuVtpm(
        input({}, { trust: trust({ ak: { mode: 'pinned-ak-names', akNames: [other.akName.toString('hex')] } }) }),
      ),
    VerificationError,
    'TPM_AK_UNTRUSTED',
  );
  t.end();
});

t.test('AK certificate mode: the EK certificate is not an AK certificate for this AK', (t) => {
  throwsCode(
    t,
    () =>
      verifyQemuVtpm(
        input(
          { akCertificateChain: [tpm.ekCertificate] },
          { trust: trust({ ak: { mode: 'ak-certificate', akRoots: [tpm.rootPem] } }) },
        ),
      ),
    VerificationError,
    'TPM_AK_CERT_INVALID',
  );
  t.end();
});

t.test('attack: an unrestricted signing key cannot pose as an AK (it could sign a forged TPMS_ATTEST)', (t) => {
  const attributes =
    TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.sign;
  const akPublic = marshalPublic(tpm.ak.key, { objectAttributes: attributes });
  throwsCode(t, () => verifyQemuVtpm(input({ akPublic })), VerificationError, 'TPM_AK_ATTRIBUTES_INVALID');
  t.end();
});

t.test('attack: SHA-1 downgrade (only a SHA-1 bank quote) is refused by default, naming the setting', (t) => {
  const sha1 = bootedPcrs('rhel8-uefi.bin', 'sha1');
  const quote = syntheticQuote(tpm, 'sha1', sha1.pcrs, qd);
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ quotes: [quote] })),
    VerificationError,
    'TPM_SHA1_REFUSED',
    /policy\.tpm\.allowSha1Banks=true/,
  );
  const state = verifyQemuVtpm(input({ quotes: [quote] }, { options: { allowSha1Banks: true } }));
  t.same(Object.keys(state.pcrs), ['sha1']);
  t.end();
});

t.test('no quote at all → TPM_QUOTE_MISSING', (t) => {
  throwsCode(t, () => verifyQemuVtpm(input({ quotes: [] })), VerificationError, 'TPM_QUOTE_MISSING');
  t.end();
});

t.test('attack: event reordering inside one PCR → replay mismatch', (t) => {
  const log = parseEventLog(boot.log);
  const pcr4 = log.events.filter((e) => e.pcr === 4 && e.type !== EV.NO_ACTION);
  const [a, b] = pcr4;
  if (a === undefined || b === undefined) throw new Error('fixture needs two PCR 4 events');
  // Swap the two records byte for byte (they are adjacent or not; rebuild the log around them).
  const start = (e: typeof a): number => e.offset;
  const end = (e: typeof a): number => log.events.find((n) => n.seq === e.seq + 1)?.offset ?? boot.log.length;
  const bytes = boot.log;
  const reordered = Buffer.concat([
    bytes.subarray(0, start(a)),
    bytes.subarray(start(b), end(b)),
    bytes.subarray(end(a), start(b)),
    bytes.subarray(start(a), end(a)),
    bytes.subarray(end(b)),
  ]);
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ eventLog: reordered })),
    VerificationError,
    'EVENTLOG_REPLAY_MISMATCH',
    /PCR\[4\]/,
  );
  t.end();
});

t.test('attack: event retagging (separator relabelled) is rejected before replay', (t) => {
  const log = parseEventLog(boot.log);
  const separator = log.events.find((e) => e.type === EV.SEPARATOR && e.pcr === 7);
  if (separator === undefined) throw new Error('fixture needs a PCR 7 separator');
  const retagged = Buffer.from(boot.log);
  retagged.writeUInt32LE(EV.EFI_ACTION, separator.offset + 4);
  throwsCode(t, () => verifyQemuVtpm(input({ eventLog: retagged })), VerificationError, 'EVENTLOG_DIGEST_MISMATCH');
  t.end();
});

t.test('attack: event log of another boot → replay mismatch naming the PCRs', (t) => {
  const otherLog = bootedPcrs('ubuntu-2104-no-secure-boot.bin').log;
  throwsCode(
    t,
    () => verifyQemuVtpm(input({ eventLog: otherLog })),
    VerificationError,
    'EVENTLOG_REPLAY_MISMATCH',
    /PCR\[7\] \(sha256\)/,
  );
  t.end();
});

t.test('no event log: PCRs still verified, events and Secure Boot unknown', (t) => {
  const state = verifyQemuVtpm(input({ eventLog: Buffer.alloc(0) }));
  t.equal(state.eventLog, undefined);
  t.equal(state.secureBoot, undefined);
  t.same(state.events, []);
  t.match(state.notes.join('\n'), /no event log/);
  t.end();
});
