// The JSON records a local or VM cluster keeps of what it started (cluster.json, the VM network's record):
// written whole by rename, so a reader never sees half of one; read back telling "there is no cluster" apart
// from "this is not a record"; checked field by field, every failure with the record's own error code.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';

export async function writeRecordFile(path: string, record: unknown): Promise<void> {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}

export interface RecordFileErrors {
  /** When the file does not exist: there is no cluster (e.g. LOCAL_CLUSTER_NOT_FOUND, what to run first). */
  readonly notFound: { readonly code: string; readonly message: (path: string) => string };
  /** When it exists but is not JSON (e.g. CLUSTER_RECORD_INVALID). */
  readonly invalidCode: string;
}

/** The parsed JSON of a record file, not yet validated. */
export async function readRecordFile(path: string, errors: RecordFileErrors): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(
      missing ? errors.notFound.code : errors.invalidCode,
      missing ? errors.notFound.message(path) : `${path}: expected a JSON cluster record, found: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Throws the record's InputError for one field: "<source>: <field> expected <expected>, found <found>". */
export type FieldFailure = (field: string, expected: string, found: unknown) => never;

export function fieldFailure(code: string, source: string): FieldFailure {
  return (field, expected, found) => {
    throw new InputError(code, `${source}: ${field} expected ${expected}, found ${JSON.stringify(found)}`);
  };
}
