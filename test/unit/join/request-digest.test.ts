// The join request digest covers every field unambiguously.
import t from 'tap';
import fc from 'fast-check';
import { challengeContext, joinRequestDigest } from '../../../lib/join/request-digest.js';

const base = {
  nodePublicKey: Buffer.from('node key'),
  diskUuid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
  nodeName: 'worker-0',
  certificateRequest: Buffer.from('csr'),
};

t.test('every field changes the digest; the UUID is case-insensitive', (t) => {
  const digest = joinRequestDigest(base);
  t.equal(digest.length, 32);
  t.not(
    joinRequestDigest({ ...base, nodePublicKey: Buffer.from('relay key') }).toString('hex'),
    digest.toString('hex'),
  );
  t.not(joinRequestDigest({ ...base, nodeName: 'worker-1' }).toString('hex'), digest.toString('hex'));
  t.not(joinRequestDigest({ ...base, certificateRequest: Buffer.alloc(0) }).toString('hex'), digest.toString('hex'));
  t.same(joinRequestDigest({ ...base, diskUuid: base.diskUuid.toUpperCase() }), digest);
  t.end();
});

t.test('moving bytes between fields never gives the same digest (length prefixes)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), fc.nat(40), (a, b, cut) => {
      const joined = Buffer.concat([a, b]);
      const at = Math.min(cut, joined.length);
      if (at === a.length) return;
      const one = joinRequestDigest({ ...base, nodePublicKey: Buffer.from(a), certificateRequest: Buffer.from(b) });
      const other = challengeContext(joined.subarray(0, at), joined.subarray(at));
      const original = challengeContext(Buffer.from(a), Buffer.from(b));
      if (one.equals(other) || other.equals(original)) throw new Error('digest collision by re-splitting');
    }),
  );
  t.pass('no re-splitting collision');
  t.end();
});
