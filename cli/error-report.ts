// How an error reaches the user: one `error:` line (or block) on stderr, a hint for the next step, and the
// exit code its class stands for. Internal errors keep their stack only with CONSTELLATION_DEBUG=1.
import { ConstellationError, InputError, PolicyError, VerificationError } from '../lib/errors.js';
import type { CliIo } from './cli-io.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { UsageError } from './usage-error.js';

export function reportError(io: CliIo, error: unknown, helpCommand = 'constellation --help'): ExitCode {
  const code = exitCodeForError(error);
  const err = io.stderr;
  if (error instanceof UsageError) {
    err.write(`error: ${error.message}\n(run '${helpCommand}' for usage)\n`);
  } else if (error instanceof PolicyError) {
    err.write(`error: policy rejected the evidence (${error.code}):\n`);
    for (const violation of error.violations) err.write(`  - ${violation}\n`);
  } else if (error instanceof VerificationError) {
    err.write(`error: verification failed (${error.code}): ${error.message}\n`);
  } else if (error instanceof InputError) {
    err.write(`error: unusable input (${error.code}): ${error.message}\n`);
  } else if (error instanceof ConstellationError) {
    err.write(`error: ${error.code}: ${error.message}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    err.write(`error: unexpected internal error: ${message}\n`);
    if (io.env['CONSTELLATION_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) {
      err.write(`${error.stack}\n`);
    } else {
      err.write('This is a bug. Re-run with CONSTELLATION_DEBUG=1 for a stack trace and report it.\n');
    }
  }
  return code;
}
