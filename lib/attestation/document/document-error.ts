// The one error a malformed attestation document raises: InputError('DOCUMENT_INVALID') naming every bad field.
import { InputError, describeValue } from '../../errors.js';

export const DOCUMENT_ERROR_CODES = { DOCUMENT_INVALID: 'DOCUMENT_INVALID' } as const;

export interface DocumentProblem {
  /** Field path in the JSON form's names, e.g. `tpm.quotes[1].pcrs[24]`. */
  readonly field: string;
  readonly expected: string;
  /** Already described for a message (never raw bytes). */
  readonly received: string;
}

export class DocumentInvalidError extends InputError {
  readonly problems: readonly DocumentProblem[];

  constructor(problems: readonly DocumentProblem[], options?: { cause?: unknown }) {
    const lines = problems.map((p) => `Expected ${p.expected} for ${p.field} but received ${p.received}`);
    const message =
      lines.length === 1
        ? `Invalid attestation document: ${lines[0] ?? ''}`
        : `Invalid attestation document (${lines.length} problems):\n${lines.map((l) => `  - ${l}`).join('\n')}`;
    super(DOCUMENT_ERROR_CODES.DOCUMENT_INVALID, message, options);
    this.problems = problems;
  }

  /** Field paths of every problem, in the order found. */
  get fields(): string[] {
    return this.problems.map((p) => p.field);
  }
}

/** Collects every problem of one document, so a user sees all of them at once. */
export class DocumentProblems {
  readonly #problems: DocumentProblem[] = [];

  add(field: string, expected: string, value: unknown): void {
    this.#problems.push({ field, expected, received: describeValue(value) });
  }

  addDescribed(field: string, expected: string, received: string): void {
    this.#problems.push({ field, expected, received });
  }

  get empty(): boolean {
    return this.#problems.length === 0;
  }

  throwIfAny(): void {
    if (this.#problems.length > 0) throw new DocumentInvalidError(this.#problems);
  }
}
