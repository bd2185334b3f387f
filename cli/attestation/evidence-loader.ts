// Turns each evidence form of `attestation verify` into an attestation document plus the trust material
// the user gave, so that one verification path handles stored documents and raw evidence alike.
import { createPublicKey } from 'node:crypto';
import {
  documentFromGcpAttestation,
  parseAzureVtpmQuote,
  parseDocument,
  validateDocumentMessage,
  type AttestationDocument,
} from '../../lib/attestation/document/index.js';
import { InputError } from '../../lib/errors.js';
import { isPcrBank, PCR_BANKS, type PcrBank } from '../../lib/tpm/pcr.js';
import { parsePublic, parsePublic2B, type TpmPublic } from '../../lib/tpm/public-area.js';
import { publicFromKey } from '../../lib/tpm/public-marshal.js';
import { objectName } from '../../lib/tpm/object-name.js';
import { marshalSignature } from '../../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../../lib/tpm/tpm-constants.js';
import type { CliIo } from '../cli-io.js';
import { UsageError } from '../usage-error.js';
import { readCollateralDir } from './collateral-dir.js';
import { readInputFile } from './input-file.js';
import type { VerifyRequest } from './verify-flags.js';

/** Trust material from the command line. */
export interface CliTrust {
  /** AK names (hex) the user vouched for by handing over the AK itself (raw TPM forms, --ak-name). */
  readonly akNames: readonly string[];
  /** PEM roots for AK certificates (--ak-ca). */
  readonly akRoots: readonly string[];
}

export interface LoadedEvidence {
  /** What the user handed over, for the report (e.g. "SEV-SNP report"). */
  readonly description: string;
  readonly document: AttestationDocument;
  readonly trust: CliTrust;
  /** Things to tell the user about how the input was read. */
  readonly notes: readonly string[];
}

const PEM_AK_NOTE =
  "AK given as a PEM key: the AK name shown is of a TPMT_PUBLIC rebuilt from that key, not the TPM's own name";

export async function loadEvidence(io: CliIo, request: VerifyRequest): Promise<LoadedEvidence> {
  const f = request.flags;
  const read = (path: string, flag: string): Promise<Buffer> => readInputFile(io, path, flag);
  const akRoots = f.akCa === undefined ? [] : [(await read(f.akCa, '--ak-ca')).toString('utf8')];
  const akNames = (f.akName ?? []).map((name) => {
    if (!/^(?:[0-9a-fA-F]{2}){2,}$/.test(name)) {
      throw new UsageError(`Expected a TPM name in hex (nameAlg ‖ digest) for --ak-name but received "${name}"`);
    }
    return name.toLowerCase();
  });
  switch (request.form) {
    case 'document': {
      const { document, encoding } = parseDocument(await read(req(f.document), '--document'));
      let final = document;
      if (f.collateralDir !== undefined) {
        // Collateral from the command line replaces what the document carries (e.g. fresher PCS data).
        if (document.tee?.kind !== 'tdx') {
          throw new UsageError('--collateral-dir applies only to documents with TDX evidence');
        }
        const collateral = await readCollateralDir(io, f.collateralDir);
        final = { ...document, tee: { ...document.tee, collateral } };
      }
      return {
        description: `attestation document (${encoding})`,
        document: final,
        trust: { akNames, akRoots },
        notes: [],
      };
    }
    case 'snp': {
      const chain = f.certChain === undefined ? undefined : await read(f.certChain, '--cert-chain');
      const document = validateDocumentMessage({
        version: 1,
        variant: 'sev-snp',
        tpm: undefined,
        snp: {
          report: await read(req(f.snpReport), '--snp-report'),
          signerCertificate: await read(req(f.signerCert), '--signer-cert'),
          certificateChain: chain ?? Buffer.alloc(0),
          hclReport: Buffer.alloc(0),
        },
      });
      return { description: 'SEV-SNP report', document, trust: { akNames, akRoots }, notes: [] };
    }
    case 'tdx': {
      const collateral = f.collateralDir === undefined ? undefined : await readCollateralDir(io, f.collateralDir);
      const document: AttestationDocument = validateDocumentMessage({
        version: 1,
        variant: 'tdx',
        tpm: undefined,
        tdx: {
          quote: await read(req(f.tdxQuote), '--tdx-quote'),
          collateral: collateral === undefined ? undefined : { pckCrlIssuerChain: Buffer.alloc(0), ...collateral },
          ccEventLog: f.ccEventLog === undefined ? Buffer.alloc(0) : await read(f.ccEventLog, '--cc-event-log'),
          ccelTable: f.ccelTable === undefined ? Buffer.alloc(0) : await read(f.ccelTable, '--ccel-table'),
          hclReport: Buffer.alloc(0),
        },
      });
      return { description: 'TDX quote', document, trust: { akNames, akRoots }, notes: [] };
    }
    case 'tpm': {
      const akBytes = await read(req(f.akPublic), '--ak-public');
      const ak = readAkPublic(akBytes);
      const attest = await read(req(f.tpmAttest), '--tpm-attest');
      const signature = wrapRawSignature(ak, await read(req(f.tpmSignature), '--tpm-signature'));
      const { bank, values } = parsePcrsJson((await read(req(f.pcrs), '--pcrs')).toString('utf8'));
      const eventLog = f.eventLog === undefined ? Buffer.alloc(0) : await read(f.eventLog, '--event-log');
      const document = validateDocumentMessage({
        version: 1,
        variant: 'qemu-vtpm',
        tpm: {
          akPublic: ak.raw,
          quotes: [{ pcrBank: bank, attest, signature, pcrs: values }],
          eventLog,
          ekCertificate: Buffer.alloc(0),
          akCertificateChain: [],
        },
      });
      return {
        description: 'TPM quote',
        document,
        trust: { akNames: [...akNames, akNameHex(ak)], akRoots },
        notes: isPem(akBytes) ? [PEM_AK_NOTE] : [],
      };
    }
    case 'gcp': {
      const document = documentFromGcpAttestation(await read(req(f.gcpAttestation), '--gcp-attestation'));
      return {
        description: 'GCE vTPM attestation (go-tpm-tools)',
        document,
        trust: { akNames, akRoots },
        notes: [],
      };
    }
    case 'azure': {
      const akBytes = await read(req(f.akPublic), '--ak-public');
      const ak = readAkPublic(akBytes);
      const { quote } = parseAzureVtpmQuote(await read(req(f.azureQuote), '--azure-quote'));
      const document = validateDocumentMessage({
        version: 1,
        variant: 'azure-trusted-launch',
        tpm: {
          akPublic: ak.raw,
          quotes: [{ ...quote, pcrs: { ...quote.pcrs } }],
          eventLog: Buffer.alloc(0),
          ekCertificate: Buffer.alloc(0),
          akCertificateChain: [],
        },
      });
      return {
        description: 'Azure vTPM quote',
        document,
        trust: { akNames: [...akNames, akNameHex(ak)], akRoots },
        notes: isPem(akBytes) ? [PEM_AK_NOTE] : [],
      };
    }
  }
}

/** validateVerifyFlags guarantees the form's flags; this narrows the type. */
function req(value: string | undefined): string {
  if (value === undefined) throw new UsageError('a required flag is missing');
  return value;
}

function akNameHex(ak: TpmPublic): string {
  return objectName(ak).toString('hex');
}

/**
 * The AK as TPMT_PUBLIC, TPM2B_PUBLIC (tpm2_readpublic -f tss) or a PEM public key. A PEM key becomes a
 * restricted-signing TPMT_PUBLIC with the default scheme (RSASSA/ECDSA-SHA256): the quote check needs only
 * the key, and its name then stands for "the key the user handed over".
 */
export function readAkPublic(bytes: Buffer): TpmPublic {
  if (isPem(bytes)) {
    try {
      return publicFromKey(createPublicKey(bytes.toString('latin1')));
    } catch (cause) {
      throw new InputError('AK_PUBLIC_INVALID', 'Expected a PEM public key (RSA or EC) for --ak-public', { cause });
    }
  }
  if (bytes.length >= 2 && bytes.readUInt16BE(0) === bytes.length - 2) return parsePublic2B(bytes);
  return parsePublic(bytes);
}

function isPem(bytes: Buffer): boolean {
  return bytes.toString('latin1').includes('-----BEGIN');
}

/** A bare RSA signature (as Azure and `tpm2_quote -f plain` write it) is wrapped as RSASSA TPMT_SIGNATURE. */
export function wrapRawSignature(ak: TpmPublic, signature: Buffer): Buffer {
  if (ak.type !== 'rsa' || signature.length !== ak.modulus.length) return signature;
  const hashAlg = ak.scheme?.hashAlg ?? TPM_ALG.SHA256;
  return marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg, sig: signature });
}

/** `{"sha256": {"0": "<hex>", …}}`: the PCR values of the one bank the quote covers. */
export function parsePcrsJson(text: string): { bank: PcrBank; values: Record<number, Buffer> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('Expected JSON like {"sha256": {"0": "<hex>"}} in --pcrs but the file is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('Expected an object like {"sha256": {"0": "<hex>"}} in --pcrs');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length !== 1 || first === undefined || !isPcrBank(first[0])) {
    throw new UsageError(
      `Expected exactly one PCR bank (${PCR_BANKS.join(', ')}) in --pcrs but received ${entries.map(([k]) => JSON.stringify(k)).join(', ') || 'none'}`,
    );
  }
  const [bank, pcrs] = first;
  if (typeof pcrs !== 'object' || pcrs === null || Array.isArray(pcrs)) {
    throw new UsageError(`Expected an object of index → hex value for --pcrs .${bank}`);
  }
  const values: Record<number, Buffer> = {};
  for (const [key, hex] of Object.entries(pcrs as Record<string, unknown>)) {
    if (!/^(0|[1-9][0-9]?)$/.test(key) || typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      throw new UsageError(`Expected a decimal index and a hex value in --pcrs .${bank} but received "${key}"`);
    }
    values[Number(key)] = Buffer.from(hex, 'hex');
  }
  return { bank, values };
}
