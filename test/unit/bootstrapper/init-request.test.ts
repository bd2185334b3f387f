// validateInitRequest: one field off per case, each refused with INIT_REQUEST_INVALID naming the field.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import type { InitRequest } from '../../../proto/gen/init.js';
import { INIT_REQUEST_INVALID, validateInitRequest } from '../../../agents/bootstrapper/init-request.js';

const valid: InitRequest = {
  initSecret: randomBytes(16),
  masterKey: randomBytes(32),
  masterSalt: randomBytes(32),
  measurementSalt: randomBytes(32),
  clusterName: 'demo',
  kubernetesConfig: Buffer.alloc(0),
  joinPolicyJson: Buffer.from(JSON.stringify({ attestation: {}, controlPlaneEks: ['ab'.repeat(32)] })),
};

t.test('a valid request gives typed values', (t) => {
  const request = validateInitRequest(valid);
  t.equal(request.measurementSalt.length, 32);
  t.equal(request.joinPolicy.version, 1n);
  t.ok(request.joinPolicy.controlPlaneEks.has('ab'.repeat(32)));
  t.end();
});

t.test('each malformed field is refused and named', (t) => {
  const cases: [string, Partial<InitRequest>, string | RegExp][] = [
    ['short master key', { masterKey: randomBytes(8) }, /master_key/],
    ['short master salt', { masterSalt: randomBytes(16) }, /master_salt/],
    ['16-byte measurement salt (§11 item 16)', { measurementSalt: randomBytes(16) }, /measurement_salt/],
    ['33-byte measurement salt', { measurementSalt: randomBytes(33) }, /measurement_salt/],
    ['empty cluster name', { clusterName: '' }, /cluster_name/],
    ['cluster name with a slash', { clusterName: 'a/b' }, /cluster_name/],
    ['huge kubernetes config', { kubernetesConfig: Buffer.alloc(300 * 1024) }, /kubernetes_config/],
  ];
  for (const [name, change, field] of cases) {
    t.throws(
      () => validateInitRequest({ ...valid, ...change }),
      { constructor: InputError, code: INIT_REQUEST_INVALID, message: field },
      name,
    );
  }
  t.throws(() => validateInitRequest({ ...valid, joinPolicyJson: Buffer.from('{') }), {
    constructor: InputError,
    code: 'JOIN_POLICY_INVALID',
  });
  t.throws(() => validateInitRequest({ ...valid, joinPolicyJson: Buffer.from('{"controlPlaneEks":["x"]}') }), {
    constructor: InputError,
    code: 'JOIN_POLICY_INVALID',
  });
  t.end();
});
