// PolicyStore: admin-signed, strictly increasing versions, atomic swap; parseJoinPolicy strictness.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { InputError, PolicyError, VerificationError } from '../../../lib/errors.js';
import { adminSigningKey, generateMasterSecret, signPolicyUpdate } from '../../../lib/crypto/index.js';
import { JOIN_POLICY_INVALID, parseJoinPolicy } from '../../../agents/joinservice/join-policy.js';
import { POLICY_VERSION_NOT_NEWER, PolicyStore } from '../../../agents/joinservice/policy-store.js';

const admin = adminSigningKey(generateMasterSecret());
const fingerprint = 'ab'.repeat(32);

function signed(policy: unknown, version: bigint, key = admin.privateKey) {
  const policyJson = Buffer.from(JSON.stringify(policy));
  return { policyJson, version, signature: signPolicyUpdate(key, policyJson, version) };
}

t.test('parseJoinPolicy: defaults, control-plane EKs lowercased, unknown keys and bad fingerprints refused', (t) => {
  const empty = parseJoinPolicy({}, 1n);
  t.equal(empty.version, 1n);
  t.equal(empty.controlPlaneEks.size, 0);
  t.ok(parseJoinPolicy({ controlPlaneEks: [fingerprint.toUpperCase()] }, 1n).controlPlaneEks.has(fingerprint));
  for (const bad of [null, [], 'x', { roles: {} }, { controlPlaneEks: 'x' }, { controlPlaneEks: ['abc'] }]) {
    t.throws(
      () => parseJoinPolicy(bad, 1n),
      { constructor: InputError, code: JOIN_POLICY_INVALID },
      JSON.stringify(bad),
    );
  }
  const error = (() => {
    try {
      parseJoinPolicy({ attestation: { nope: 1 } }, 1n);
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  t.type(error, InputError, 'an attestation policy error is an InputError');
  t.match(error, { code: 'POLICY_INVALID' });
  t.end();
});

t.test('update: signature first, then version, then an atomic swap', (t) => {
  const store = new PolicyStore(parseJoinPolicy({}, 1n), admin.publicKey);
  const before = store.current();
  const stranger = generateKeyPairSync('ed25519').privateKey;
  t.throws(() => store.update(signed({}, 2n, stranger)), {
    constructor: VerificationError,
    code: 'POLICY_UPDATE_SIGNATURE_INVALID',
  });
  t.throws(() => store.update({ ...signed({}, 2n), version: 3n }), { code: 'POLICY_UPDATE_SIGNATURE_INVALID' });
  t.throws(() => store.update(signed({}, 1n)), { constructor: PolicyError, code: POLICY_VERSION_NOT_NEWER });
  t.throws(() => store.update(signed({ controlPlaneEks: [1] }, 2n)), {
    constructor: InputError,
    code: JOIN_POLICY_INVALID,
  });
  t.equal(store.current(), before, 'refused updates leave the policy in force untouched');

  const next = store.update(signed({ controlPlaneEks: [fingerprint] }, 5n));
  t.equal(store.current(), next);
  t.equal(next.version, 5n);
  t.ok(next.controlPlaneEks.has(fingerprint));
  t.equal(before.controlPlaneEks.size, 0, 'a snapshot taken before the update is unchanged');
  t.throws(() => store.update(signed({}, 5n)), { code: POLICY_VERSION_NOT_NEWER }, 'no replay of the same version');
  t.end();
});
