// Asserts that a call fails with a given error class AND code (never just "it threw").
import type { Test } from 'tap';
import type { ConstellationError } from '../../../../lib/errors.js';

type ErrorClass = abstract new (...args: never[]) => ConstellationError;

export function throwsCode(t: Test, fn: () => unknown, errorClass: ErrorClass, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (error) {
    t.ok(
      error instanceof errorClass,
      `${errorClass.name} expected, got ${(error as Error).name}: ${(error as Error).message}`,
    );
    t.equal((error as ConstellationError).code, code, (error as Error).message);
    if (message !== undefined) t.match((error as Error).message, message);
    return;
  }
  t.fail(`expected ${errorClass.name} ${code}, but nothing was thrown`);
}

export async function rejectsCode(
  t: Test,
  fn: () => Promise<unknown>,
  errorClass: ErrorClass,
  code: string,
  message?: RegExp,
): Promise<void> {
  try {
    await fn();
  } catch (error) {
    t.ok(
      error instanceof errorClass,
      `${errorClass.name} expected, got ${(error as Error).name}: ${(error as Error).message}`,
    );
    t.equal((error as ConstellationError).code, code, (error as Error).message);
    if (message !== undefined) t.match((error as Error).message, message);
    return;
  }
  t.fail(`expected ${errorClass.name} ${code}, but the promise resolved`);
}
