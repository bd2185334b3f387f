// Validates the flags of `attestation verify` into one typed request: exactly one evidence form, the files
// that form needs (and no others), a nonce decision, a verification time. Everything later trusts this shape.
import { UsageError } from '../usage-error.js';

export const EVIDENCE_FORMS = ['document', 'snp', 'tdx', 'tpm', 'gcp', 'azure'] as const;
export type EvidenceForm = (typeof EVIDENCE_FORMS)[number];

/** The flags as commander hands them over (every value still unchecked). */
export interface VerifyFlags {
  readonly document?: string;
  readonly snpReport?: string;
  readonly signerCert?: string;
  readonly certChain?: string;
  readonly tdxQuote?: string;
  readonly collateralDir?: string;
  readonly ccEventLog?: string;
  readonly ccelTable?: string;
  readonly tpmAttest?: string;
  readonly tpmSignature?: string;
  readonly akPublic?: string;
  readonly pcrs?: string;
  readonly eventLog?: string;
  readonly gcpAttestation?: string;
  readonly azureQuote?: string;
  readonly akCa?: string;
  readonly akName?: string[];
  readonly nonce?: string;
  readonly anyNonce?: boolean;
  readonly policy?: string;
  readonly time?: string;
  readonly output?: string;
}

/** Flag (as typed on the command line) that selects each form, and the flags each form may use. */
const FORM_FLAG: Readonly<Record<EvidenceForm, keyof VerifyFlags>> = {
  document: 'document',
  snp: 'snpReport',
  tdx: 'tdxQuote',
  tpm: 'tpmAttest',
  gcp: 'gcpAttestation',
  azure: 'azureQuote',
};
const FORM_REQUIRES: Readonly<Record<EvidenceForm, readonly (keyof VerifyFlags)[]>> = {
  document: [],
  snp: ['signerCert'],
  tdx: [],
  tpm: ['tpmSignature', 'akPublic', 'pcrs'],
  gcp: [],
  azure: ['akPublic'],
};
const FORM_ALLOWS: Readonly<Record<EvidenceForm, readonly (keyof VerifyFlags)[]>> = {
  document: ['akCa', 'akName', 'collateralDir'],
  snp: ['signerCert', 'certChain'],
  tdx: ['collateralDir', 'ccEventLog', 'ccelTable'],
  tpm: ['tpmSignature', 'akPublic', 'pcrs', 'eventLog'],
  gcp: ['akCa'],
  azure: ['akPublic'],
};
const FORM_SPECIFIC: readonly (keyof VerifyFlags)[] = [
  'signerCert',
  'certChain',
  'collateralDir',
  'ccEventLog',
  'ccelTable',
  'tpmSignature',
  'akPublic',
  'pcrs',
  'eventLog',
  'akCa',
  'akName',
];

export type NonceCheck = { readonly kind: 'exact'; readonly value: Buffer } | { readonly kind: 'any' };

export interface VerifyRequest {
  readonly form: EvidenceForm;
  readonly flags: VerifyFlags;
  readonly nonce: NonceCheck;
  readonly now: Date;
  readonly output: 'text' | 'json';
}

export function flagName(key: keyof VerifyFlags): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function validateVerifyFlags(flags: VerifyFlags, clock: () => Date = () => new Date()): VerifyRequest {
  const forms = (Object.keys(FORM_FLAG) as EvidenceForm[]).filter((f) => flags[FORM_FLAG[f]] !== undefined);
  const formList = Object.values(FORM_FLAG).map(flagName).join(', ');
  const [form, second] = forms;
  if (form === undefined) throw new UsageError(`Expected one evidence input (${formList}) but received none`);
  if (second !== undefined) {
    throw new UsageError(
      `Expected exactly one evidence input but received ${forms.map((f) => flagName(FORM_FLAG[f])).join(' and ')}`,
    );
  }
  const formFlag = flagName(FORM_FLAG[form]);
  for (const key of FORM_REQUIRES[form]) {
    if (flags[key] === undefined) throw new UsageError(`${formFlag} needs ${flagName(key)} <file>`);
  }
  for (const key of FORM_SPECIFIC) {
    if (flags[key] !== undefined && !FORM_ALLOWS[form].includes(key)) {
      throw new UsageError(`${flagName(key)} does not apply to ${formFlag}`);
    }
  }
  if (flags.ccelTable !== undefined && flags.ccEventLog === undefined) {
    throw new UsageError('--ccel-table needs --cc-event-log <file> (the log area the table describes)');
  }
  return {
    form,
    flags,
    nonce: parseNonce(flags),
    now: flags.time === undefined ? clock() : parseTime(flags.time),
    output: parseOutput(flags.output),
  };
}

function parseNonce(flags: VerifyFlags): NonceCheck {
  if (flags.nonce !== undefined && flags.anyNonce === true) {
    throw new UsageError('Expected either --nonce or --any-nonce but received both');
  }
  if (flags.anyNonce === true) return { kind: 'any' };
  if (flags.nonce === undefined) {
    throw new UsageError(
      'Expected --nonce <hex> (the qualifying/report data the evidence must carry; "" for none) or --any-nonce ' +
        '(accept whatever it carries, for inspecting stored evidence) but received neither',
    );
  }
  const hex = flags.nonce.startsWith('0x') ? flags.nonce.slice(2) : flags.nonce;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex) || hex.length > 128) {
    throw new UsageError(`Expected up to 64 bytes of even-length hex for --nonce but received "${flags.nonce}"`);
  }
  return { kind: 'exact', value: Buffer.from(hex, 'hex') };
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export function parseTime(value: string): Date {
  const date = new Date(value);
  if (!ISO_8601.test(value) || Number.isNaN(date.getTime()) || !isCalendarDate(value.slice(0, 10))) {
    throw new UsageError(
      `Expected an ISO-8601 date or UTC/offset time (e.g. 2024-01-01 or 2024-01-01T12:00:00Z) for --time but received "${value}"`,
    );
  }
  return date;
}

/** Date.parse rolls 2024-02-31 over to March; a user who typed it made a mistake. */
function isCalendarDate(ymd: string): boolean {
  const [y = NaN, m = NaN, d = NaN] = ymd.split('-').map(Number);
  const check = new Date(Date.UTC(y, m - 1, d));
  return check.getUTCFullYear() === y && check.getUTCMonth() === m - 1 && check.getUTCDate() === d;
}

function parseOutput(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`Expected text or json for --output but received "${value}"`);
}
