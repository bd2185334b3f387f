// The one error → gRPC status table: class defaults, specific codes, and no leak of unexpected errors.
import t from 'tap';
import { status } from '@grpc/grpc-js';
import { ConstellationError, InputError, PolicyError, TpmError, VerificationError } from '../../../lib/errors.js';
import { INTERNAL_DETAILS, statusFor } from '../../../lib/rpc/status-for.js';

const cases: readonly [string, unknown, status][] = [
  ['InputError', new InputError('INVALID_ARGUMENT', 'bad'), status.INVALID_ARGUMENT],
  ['VerificationError', new VerificationError('QUOTE_SIGNATURE_INVALID', 'bad'), status.UNAUTHENTICATED],
  ['PolicyError', new PolicyError('POLICY_VIOLATION', 'bad'), status.PERMISSION_DENIED],
  ['CHALLENGE_REPLAYED', new VerificationError('CHALLENGE_REPLAYED', 'again'), status.UNAUTHENTICATED],
  ['CHALLENGE_EXPIRED', new VerificationError('CHALLENGE_EXPIRED', 'late'), status.UNAUTHENTICATED],
  ['NO_MASTER_SECRET', new ConstellationError('NO_MASTER_SECRET', 'none'), status.FAILED_PRECONDITION],
  ['MASTER_SECRET_EXISTS', new InputError('MASTER_SECRET_EXISTS', 'exists'), status.ALREADY_EXISTS],
  ['METHOD_NOT_AUTHORIZED', new PolicyError('METHOD_NOT_AUTHORIZED', 'no'), status.PERMISSION_DENIED],
  ['CHALLENGE_BOOK_FULL', new ConstellationError('CHALLENGE_BOOK_FULL', 'full'), status.RESOURCE_EXHAUSTED],
  ['TpmError', new TpmError('TPM_COMMAND_FAILED', 'rc 0x101 at /dev/tpmrm0'), status.UNAVAILABLE],
  ['unknown ConstellationError', new ConstellationError('SOMETHING', 'x'), status.INTERNAL],
  ['plain Error', new Error('ENOENT /etc/secret/path'), status.INTERNAL],
  ['non-error', 'a string', status.INTERNAL],
];

for (const [name, error, code] of cases) {
  t.test(`${name} → ${status[code]}`, (t) => {
    t.equal(statusFor(error).code, code);
    t.end();
  });
}

t.test('our errors keep CODE: message; others get a generic message', (t) => {
  t.equal(
    statusFor(new InputError('INVALID_ARGUMENT', 'Expected X, found Y')).details,
    'INVALID_ARGUMENT: Expected X, found Y',
  );
  t.equal(statusFor(new Error('ENOENT /etc/secret/path')).details, INTERNAL_DETAILS);
  t.notMatch(statusFor(new TpmError('TPM_COMMAND_FAILED', 'rc 0x101 at /dev/tpmrm0')).details, /tpmrm0/);
  t.end();
});
