// The Bootstrapper's refusals map to the statuses the CLI documents; anything unexpected stays INTERNAL.
import t from 'tap';
import { status } from '@grpc/grpc-js';
import { ConstellationError, PolicyError } from '../../../lib/errors.js';
import { bootstrapperStatus, publicFailure } from '../../../agents/bootstrapper/rpc-status.js';

t.test('codes → statuses', (t) => {
  const cases: [ConstellationError, status][] = [
    [new PolicyError('INIT_SECRET_INVALID', 'x'), status.PERMISSION_DENIED],
    [new ConstellationError('NODE_ALREADY_ACTIVATING', 'x'), status.FAILED_PRECONDITION],
    [new ConstellationError('RECOVERY_KEY_REJECTED', 'x'), status.FAILED_PRECONDITION],
    [new ConstellationError('NODE_ALREADY_RECOVERED', 'x'), status.FAILED_PRECONDITION],
    [new ConstellationError('METADATA_UNREACHABLE', 'x'), status.UNAVAILABLE],
  ];
  for (const [error, expected] of cases) {
    t.equal(bootstrapperStatus(error).code, expected, error.code);
    t.equal(bootstrapperStatus(error).details, `${error.code}: x`);
  }
  t.same(bootstrapperStatus(new Error('/secret/path')), { code: status.INTERNAL, details: 'internal error' });
  t.same(publicFailure(new Error('/secret/path')), { code: 'INTERNAL', message: 'internal error (see the node log)' });
  t.end();
});
