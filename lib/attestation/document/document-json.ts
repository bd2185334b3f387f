// JSON form of the attestation document, for people and for tools that cannot speak protobuf:
// the same fields as the protobuf message in camelCase, bytes as base64, PCR values as hex.
// Parsing is strict: unknown keys, wrong types and bad encodings are reported with their field path.
import type * as pb from '../../../proto/gen/attestation.js';
import type { AttestationDocument } from './attestation-document.js';
import { documentToMessage } from './document-codec.js';
import { DOCUMENT_LIMITS } from './document-limits.js';
import { DocumentInvalidError, DocumentProblems } from './document-error.js';
import { validateDocumentMessage } from './document-validation.js';

type JsonObject = Record<string, unknown>;

/** The JSON form of a validated document (absent fields are left out). */
export function documentToJson(doc: AttestationDocument): JsonObject {
  const m = documentToMessage(doc);
  const out: JsonObject = { version: m.version, variant: m.variant };
  if (m.tpm !== undefined) {
    out['tpm'] = compact({
      akPublic: b64(m.tpm.akPublic),
      quotes: m.tpm.quotes.map((q) => ({
        pcrBank: q.pcrBank,
        attest: b64(q.attest),
        signature: b64(q.signature),
        pcrs: Object.fromEntries(
          Object.entries(q.pcrs)
            .sort(([a], [b]) => Number(a) - Number(b))
            .map(([k, v]) => [k, v.toString('hex')]),
        ),
      })),
      eventLog: b64(m.tpm.eventLog),
      ekCertificate: b64(m.tpm.ekCertificate),
      akCertificateChain: m.tpm.akCertificateChain.map(b64),
    });
  }
  if (m.snp !== undefined) out['snp'] = compact(bytesFields(m.snp, SNP_FIELDS));
  if (m.tdx !== undefined) {
    const tdx = m.tdx;
    out['tdx'] = compact({
      ...bytesFields(tdx, TDX_BYTES_FIELDS),
      collateral: tdx.collateral === undefined ? undefined : compact(bytesFields(tdx.collateral, COLLATERAL_FIELDS)),
    });
  }
  return out;
}

/** Serializes the JSON form with stable indentation. */
export function documentToJsonText(doc: AttestationDocument): string {
  return `${JSON.stringify(documentToJson(doc), null, 2)}\n`;
}

/** Parses JSON text of a document; throws InputError('DOCUMENT_INVALID') naming every bad field. */
export function documentFromJsonText(text: string): AttestationDocument {
  if (text.length > DOCUMENT_LIMITS.document) {
    throw new DocumentInvalidError([
      {
        field: '(document)',
        expected: `JSON of at most ${DOCUMENT_LIMITS.document} characters`,
        received: `${text.length} characters`,
      },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DocumentInvalidError([{ field: '(document)', expected: 'JSON', received: `invalid JSON (${reason})` }], {
      cause,
    });
  }
  return documentFromJson(value);
}

/** Validates a parsed JSON value as a document. */
export function documentFromJson(value: unknown): AttestationDocument {
  const problems = new DocumentProblems();
  const root = object(value, '(document)', ['version', 'variant', 'tpm', 'snp', 'tdx'], problems);
  if (root === undefined) {
    problems.throwIfAny();
    throw new Error('unreachable: object() reports a problem when it returns undefined');
  }
  const version = root['version'];
  const variant = root['variant'];
  const message: pb.AttestationDocument = {
    version: typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : -1,
    variant: typeof variant === 'string' ? variant : '',
    tpm: undefined,
  };
  if (message.version === -1) problems.add('version', 'a non-negative integer', version);
  if (typeof variant !== 'string') problems.add('variant', 'a string', variant);
  if (root['tpm'] !== undefined) message.tpm = tpmFromJson(root['tpm'], problems);
  if (root['snp'] !== undefined) {
    const snp = object(root['snp'], 'snp', SNP_FIELDS, problems);
    if (snp !== undefined) message.snp = bytesFromJson(snp, 'snp', SNP_FIELDS, problems);
  }
  if (root['tdx'] !== undefined) {
    const tdx = object(root['tdx'], 'tdx', [...TDX_BYTES_FIELDS, 'collateral'], problems);
    if (tdx !== undefined) {
      const collateralJson =
        tdx['collateral'] === undefined
          ? undefined
          : object(tdx['collateral'], 'tdx.collateral', COLLATERAL_FIELDS, problems);
      message.tdx = {
        ...bytesFromJson(tdx, 'tdx', TDX_BYTES_FIELDS, problems),
        collateral:
          collateralJson === undefined
            ? undefined
            : bytesFromJson(collateralJson, 'tdx.collateral', COLLATERAL_FIELDS, problems),
      };
    }
  }
  problems.throwIfAny();
  return validateDocumentMessage(message);
}

const SNP_FIELDS = ['report', 'signerCertificate', 'certificateChain', 'hclReport'] as const;
const TDX_BYTES_FIELDS = ['quote', 'ccEventLog', 'ccelTable', 'hclReport'] as const;
const COLLATERAL_FIELDS = [
  'tcbInfo',
  'tcbInfoIssuerChain',
  'qeIdentity',
  'qeIdentityIssuerChain',
  'pckCrl',
  'pckCrlIssuerChain',
  'rootCrl',
] as const;

function tpmFromJson(value: unknown, problems: DocumentProblems): pb.TpmEvidence | undefined {
  const keys = ['akPublic', 'quotes', 'eventLog', 'ekCertificate', 'akCertificateChain'];
  const tpm = object(value, 'tpm', keys, problems);
  if (tpm === undefined) return undefined;
  const quotesJson = optionalArray(tpm['quotes'], 'tpm.quotes', problems);
  const chainJson = optionalArray(tpm['akCertificateChain'], 'tpm.akCertificateChain', problems);
  return {
    akPublic: base64(tpm['akPublic'], 'tpm.akPublic', problems),
    quotes: quotesJson.slice(0, DOCUMENT_LIMITS.quotes + 1).flatMap((q, i) => {
      const quote = quoteFromJson(q, `tpm.quotes[${i}]`, problems);
      return quote === undefined ? [] : [quote];
    }),
    eventLog: base64(tpm['eventLog'], 'tpm.eventLog', problems),
    ekCertificate: base64(tpm['ekCertificate'], 'tpm.ekCertificate', problems),
    akCertificateChain: chainJson
      .slice(0, DOCUMENT_LIMITS.akCertificateChain + 1)
      .map((c, i) => base64(c, `tpm.akCertificateChain[${i}]`, problems)),
  };
}

function quoteFromJson(value: unknown, path: string, problems: DocumentProblems): pb.TpmQuote | undefined {
  const quote = object(value, path, ['pcrBank', 'attest', 'signature', 'pcrs'], problems);
  if (quote === undefined) return undefined;
  const bank = quote['pcrBank'];
  if (typeof bank !== 'string') problems.add(`${path}.pcrBank`, 'a string', bank);
  const pcrs: Record<number, Buffer> = {};
  const pcrsJson = quote['pcrs'] === undefined ? {} : object(quote['pcrs'], `${path}.pcrs`, undefined, problems);
  for (const [key, hexValue] of Object.entries(pcrsJson ?? {})) {
    if (!/^(0|[1-9][0-9]?)$/.test(key)) {
      problems.add(`${path}.pcrs`, 'PCR indices as decimal keys 0-23', key);
      continue;
    }
    pcrs[Number(key)] = hex(hexValue, `${path}.pcrs[${key}]`, problems);
  }
  return {
    pcrBank: typeof bank === 'string' ? bank : '',
    attest: base64(quote['attest'], `${path}.attest`, problems),
    signature: base64(quote['signature'], `${path}.signature`, problems),
    pcrs,
  };
}

function object(
  value: unknown,
  path: string,
  allowedKeys: readonly string[] | undefined,
  problems: DocumentProblems,
): JsonObject | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.add(path, 'an object', value);
    return undefined;
  }
  const obj = value as JsonObject;
  if (allowedKeys !== undefined) {
    for (const key of Object.keys(obj)) {
      if (!allowedKeys.includes(key)) {
        const field = path === '(document)' ? key : `${path}.${key}`;
        problems.addDescribed(field, `only the keys ${allowedKeys.join(', ')}`, 'an unknown key');
      }
    }
  }
  return obj;
}

function optionalArray(value: unknown, path: string, problems: DocumentProblems): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(path, 'an array', value);
    return [];
  }
  return value as unknown[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function base64(value: unknown, path: string, problems: DocumentProblems): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value !== 'string' || !BASE64.test(value)) {
    problems.add(path, 'base64 (standard alphabet, padded)', value);
    return Buffer.alloc(0);
  }
  return Buffer.from(value, 'base64');
}

function hex(value: unknown, path: string, problems: DocumentProblems): Buffer {
  if (typeof value !== 'string' || !HEX.test(value)) {
    problems.add(path, 'an even-length hex string', value);
    return Buffer.alloc(0);
  }
  return Buffer.from(value, 'hex');
}

function bytesFields<K extends string>(source: Record<K, Buffer>, keys: readonly K[]): JsonObject {
  return Object.fromEntries(keys.map((k) => [k, b64(source[k])]));
}

function bytesFromJson<K extends string>(
  source: JsonObject,
  path: string,
  keys: readonly K[],
  problems: DocumentProblems,
): Record<K, Buffer> {
  return Object.fromEntries(keys.map((k) => [k, base64(source[k], `${path}.${k}`, problems)])) as Record<K, Buffer>;
}

/** Empty bytes are absent in proto3; leave them out of the JSON too. */
function b64(bytes: Buffer): string | undefined {
  return bytes.length === 0 ? undefined : bytes.toString('base64');
}

function compact(obj: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.entries(obj).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}
