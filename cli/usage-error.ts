// Usage errors: the command line itself is wrong. They exit 2 and point at --help.
import { InputError } from '../lib/errors.js';

export const CLI_ERROR_CODES = {
  /** A flag is missing, conflicts with another, or has a malformed value. */
  USAGE: 'USAGE',
  /** A file named on the command line cannot be read. */
  FILE_UNREADABLE: 'FILE_UNREADABLE',
} as const;

export class UsageError extends InputError {
  constructor(message: string) {
    super(CLI_ERROR_CODES.USAGE, message);
  }
}
