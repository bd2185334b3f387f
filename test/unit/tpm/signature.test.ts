import t from 'tap';
import { VerificationError } from '../../../lib/errors.js';
import { parseSignature } from '../../../lib/tpm/signature.js';
import { marshalSignature } from '../../../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../../../lib/tpm/tpm-constants.js';
import { gcpAttestation, windowsQuote } from './tpm-vectors.js';

t.test('real RSASSA signatures: GCE SHA-256 and Windows SHA-1', (t) => {
  const gcp = parseSignature(gcpAttestation('gce-cos-85-no-nonce.pb').quotes[0]!.signature);
  t.equal(gcp.kind, 'rsa');
  t.equal(gcp.sigAlg, TPM_ALG.RSASSA);
  t.equal(gcp.hashAlg, TPM_ALG.SHA256);
  t.equal(gcp.kind === 'rsa' ? gcp.sig.length : 0, 256);
  const windows = parseSignature(windowsQuote().signature);
  t.equal(windows.hashAlg, TPM_ALG.SHA1);
  t.end();
});

t.test('ECDSA, RSAPSS and HMAC signatures round-trip through marshalSignature', (t) => {
  const samples = [
    { kind: 'ecc', sigAlg: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA384, r: Buffer.alloc(48, 1), s: Buffer.alloc(47, 2) },
    { kind: 'rsa', sigAlg: TPM_ALG.RSAPSS, hashAlg: TPM_ALG.SHA256, sig: Buffer.alloc(256, 3) },
    { kind: 'hmac', sigAlg: TPM_ALG.HMAC, hashAlg: TPM_ALG.SHA256, digest: Buffer.alloc(32, 4) },
  ] as const;
  for (const sample of samples) t.same(parseSignature(marshalSignature(sample)), sample, sample.kind);
  t.end();
});

t.test('rejects unknown schemes, unknown hashes, truncation and trailing bytes', (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['NULL sigAlg', Buffer.from('0010', 'hex'), /sigAlg, got TPM_ALG_NULL/],
    ['RSAES is not a signature', Buffer.from('0015000b0000', 'hex'), /TPM_ALG_RSAES/],
    ['unknown hash', Buffer.from('001400990000', 'hex'), /hash algorithm for signature.hash/],
    [
      'truncated r',
      Buffer.from('0018000b00200102', 'hex'),
      /Expected 32 bytes for signature.signatureR at offset 6 but only 2 remain/,
    ],
    ['trailing byte', Buffer.from('0014000b000100ff', 'hex'), /1 more bytes follow/],
  ];
  for (const [name, bytes, message] of cases) {
    t.throws(
      () => parseSignature(bytes),
      { constructor: VerificationError, code: 'TPM_STRUCTURE_MALFORMED', message },
      name,
    );
  }
  t.end();
});
