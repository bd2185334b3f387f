// Edge validation of join requests: every malformed field is an InputError JOIN_REQUEST_INVALID naming it.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import { DocumentInvalidError } from '../../../lib/attestation/document/document-error.js';
import { checkJoinRequest, JOIN_REQUEST_INVALID } from '../../../agents/joinservice/request-checks.js';
import type { IssueJoinTicketRequest } from '../../../proto/gen/join.js';

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });

const base: IssueJoinTicketRequest = {
  challengeId: Buffer.alloc(56, 1),
  activatedSecret: Buffer.alloc(32, 2),
  evidence: { version: 1, variant: 'qemu-vtpm', tpm: undefined },
  nodePublicKey: p256,
  diskUuid: '0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9',
  nodeName: 'worker-0',
  certificateRequest: Buffer.alloc(0),
};

t.test('each malformed field is refused with its name', (t) => {
  const cases: [string, Partial<IssueJoinTicketRequest>, RegExp][] = [
    ['empty challenge id', { challengeId: Buffer.alloc(0) }, /challenge_id/],
    ['short secret', { activatedSecret: Buffer.alloc(8) }, /activated_secret/],
    ['no evidence', { evidence: undefined }, /evidence/],
    ['evidence without TPM part', {}, /TPM evidence|tpm|DOCUMENT/i],
    ['not a UUID', { diskUuid: '../../etc' }, /disk_uuid/],
    ['bad node name', { nodeName: 'Node_0' }, /node_name/],
    ['huge CSR', { certificateRequest: Buffer.alloc(17 * 1024) }, /certificate_request/],
  ];
  for (const [name, change, message] of cases) {
    t.throws(() => checkJoinRequest({ ...base, ...change }), { message }, name);
  }
  t.end();
});

t.test('the node key must be a P-256 SPKI', (t) => {
  const withTpm: IssueJoinTicketRequest = {
    ...base,
    evidence: {
      version: 1,
      variant: 'qemu-vtpm',
      tpm: {
        akPublic: Buffer.alloc(10, 1),
        quotes: [],
        eventLog: Buffer.alloc(0),
        ekCertificate: Buffer.alloc(10, 1),
        akCertificateChain: [],
      },
    },
  };
  for (const [name, key] of [
    ['garbage', Buffer.from('not a key')],
    ['P-384', p384],
  ] as const) {
    let error: unknown;
    try {
      checkJoinRequest({ ...withTpm, nodePublicKey: key });
    } catch (caught) {
      error = caught;
    }
    t.type(error, InputError, name);
    t.match(error, { code: /JOIN_REQUEST_INVALID|DOCUMENT_INVALID/ }, name);
  }
  t.equal(JOIN_REQUEST_INVALID, 'JOIN_REQUEST_INVALID');
  t.end();
});

t.test('a canonical P-256 SPKI whose point is off the curve is refused, naming the field', (t) => {
  const offCurve = Buffer.from(p256);
  offCurve[offCurve.length - 1]! ^= 1;
  t.throws(() => checkJoinRequest({ ...base, nodePublicKey: offCurve }), {
    code: JOIN_REQUEST_INVALID,
    message: /node_public_key expected a point on P-256/,
  });
  t.throws(
    () => checkJoinRequest({ ...base, nodePublicKey: Buffer.concat([p256.subarray(0, 26), Buffer.alloc(65)]) }),
    { code: JOIN_REQUEST_INVALID, message: /node_public_key/ },
    'the point at infinity / zero point',
  );
  t.end();
});

t.test('a valid node key passes the key check (canonical and compressed encodings)', (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const jwk = key.export({ format: 'jwk' });
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const compressedPoint = Buffer.concat([Buffer.from([2 + (y.at(-1)! & 1)]), Buffer.from(jwk.x ?? '', 'base64url')]);
  // id-ecPublicKey + prime256v1 with a 33-byte compressed point.
  const compressed = Buffer.concat([
    Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    compressedPoint,
  ]);
  for (const [name, spki] of [
    ['canonical', key.export({ type: 'spki', format: 'der' })],
    ['compressed', compressed],
  ] as const) {
    // The request's evidence has no TPM part, so a passing key check ends at the evidence check.
    t.throws(
      () => checkJoinRequest({ ...base, nodePublicKey: spki }),
      new DocumentInvalidError([
        { field: 'tpm', expected: 'TPM evidence for variant qemu-vtpm', received: 'undefined' },
      ]),
      name,
    );
  }
  t.end();
});
