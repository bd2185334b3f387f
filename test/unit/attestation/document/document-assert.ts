// Asserts that a call fails with InputError('DOCUMENT_INVALID') and returns the error for further checks.
import type { Test } from 'tap';
import { InputError } from '../../../../lib/errors.js';
import { DocumentInvalidError } from '../../../../lib/attestation/document/index.js';

export function documentError(t: Test, fn: () => unknown): DocumentInvalidError {
  try {
    fn();
  } catch (error) {
    t.ok(error instanceof InputError, 'is an InputError');
    t.equal((error as InputError).code, 'DOCUMENT_INVALID', 'code DOCUMENT_INVALID');
    if (error instanceof DocumentInvalidError) return error;
    t.fail(`expected a DocumentInvalidError, got ${String(error)}`);
    throw error;
  }
  t.fail('expected DOCUMENT_INVALID, but nothing was thrown');
  throw new Error('no error thrown');
}
