// Deny by default: unlisted methods and wrong roles are refused with METHOD_NOT_AUTHORIZED.
import t from 'tap';
import { PolicyError } from '../../../lib/errors.js';
import { authorizationTable } from '../../../lib/rpc/authorization.js';
import { throwsCode } from '../attestation/verify/expect-error.js';

const authorize = authorizationTable({ '/constellation.kms.v1.KeyService/GetDataKey': 'control-plane' });

t.test('the listed role may call the listed method', (t) => {
  t.doesNotThrow(() => {
    authorize('/constellation.kms.v1.KeyService/GetDataKey', 'control-plane');
  });
  t.end();
});

t.test('another role is refused', (t) => {
  throwsCode(
    t,
    () => {
      authorize('/constellation.kms.v1.KeyService/GetDataKey', 'worker');
    },
    PolicyError,
    'METHOD_NOT_AUTHORIZED',
  );
  t.end();
});

t.test('an unlisted method is refused', (t) => {
  throwsCode(
    t,
    () => {
      authorize('/constellation.join.v1.JoinService/UpdatePolicy', 'control-plane');
    },
    PolicyError,
    'METHOD_NOT_AUTHORIZED',
    /authorization table/,
  );
  t.end();
});

t.test('prototype keys are not methods', (t) => {
  throwsCode(
    t,
    () => {
      authorize('constructor', 'control-plane');
    },
    PolicyError,
    'METHOD_NOT_AUTHORIZED',
  );
  t.end();
});
