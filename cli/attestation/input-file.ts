// Reads a file named by a flag; a failure is the user's input problem (exit 2), said with the flag's name.
import { InputError } from '../../lib/errors.js';
import type { CliIo } from '../cli-io.js';
import { CLI_ERROR_CODES } from '../usage-error.js';

/** Input files are evidence and trust material: a few MiB at most. */
export const MAX_INPUT_FILE = 16 * 1024 * 1024;

export async function readInputFile(io: CliIo, path: string, flag: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await io.readFile(path);
  } catch (cause) {
    const reason = cause instanceof Error && 'code' in cause ? String(cause.code) : String(cause);
    throw new InputError(
      CLI_ERROR_CODES.FILE_UNREADABLE,
      `Expected a readable file for ${flag} but could not read "${path}" (${reason})`,
      { cause },
    );
  }
  if (bytes.length > MAX_INPUT_FILE) {
    throw new InputError(
      CLI_ERROR_CODES.FILE_UNREADABLE,
      `Expected at most ${MAX_INPUT_FILE} bytes in ${flag} but "${path}" has ${bytes.length}`,
    );
  }
  return bytes;
}
