// Turns a decoded protobuf message (all fields optional, bytes possibly empty) into a validated
// AttestationDocument: known version and variant, the parts the variant needs, sane sizes.
import { PCR_COUNT, PCR_DIGEST_SIZE, isPcrBank } from '../../tpm/pcr.js';
import type * as pb from '../../../proto/gen/attestation.js';
import {
  DOCUMENT_VERSION,
  type AttestationDocument,
  type SnpEvidence,
  type TdxCollateral,
  type TdxEvidence,
  type TeeEvidence,
  type TpmEvidence,
  type TpmQuote,
} from './attestation-document.js';
import { DOCUMENT_LIMITS } from './document-limits.js';
import { DocumentProblems } from './document-error.js';
import { VARIANTS, VARIANT_PARTS, isVariant, type VariantParts } from './variant.js';

/** Validates a decoded message; throws DocumentInvalidError listing every problem. */
export function validateDocumentMessage(message: pb.AttestationDocument): AttestationDocument {
  const problems = new DocumentProblems();
  if (message.version !== DOCUMENT_VERSION) {
    problems.add('version', `document version ${DOCUMENT_VERSION} (this build reads only that)`, message.version);
  }
  const variant = isVariant(message.variant) ? message.variant : undefined;
  if (variant === undefined) {
    problems.add('variant', `one of ${VARIANTS.join(', ')}`, message.variant);
  }
  const parts: VariantParts | undefined = variant === undefined ? undefined : VARIANT_PARTS[variant];

  let tpm: TpmEvidence | undefined;
  if (message.tpm !== undefined) {
    tpm = validateTpm(message.tpm, problems);
  } else if (parts?.tpm === 'required') {
    problems.add('tpm', `TPM evidence for variant ${message.variant}`, undefined);
  }

  const tee = validateTee(message, parts, problems);
  problems.throwIfAny();
  // Every check above passed, so the narrowed values are defined where the variant needs them.
  return {
    version: DOCUMENT_VERSION,
    variant: variant ?? VARIANTS[0],
    ...(tpm === undefined ? {} : { tpm }),
    ...(tee === undefined ? {} : { tee }),
  };
}

function validateTee(
  message: pb.AttestationDocument,
  parts: VariantParts | undefined,
  problems: DocumentProblems,
): TeeEvidence | undefined {
  if (message.snp !== undefined && message.tdx !== undefined) {
    problems.addDescribed('snp/tdx', 'at most one of snp or tdx', 'both');
    return undefined;
  }
  if (parts === undefined) return undefined;
  const present = message.snp !== undefined ? 'snp' : message.tdx !== undefined ? 'tdx' : 'none';
  if (present !== parts.tee) {
    const expected = parts.tee === 'none' ? 'no TEE evidence' : `${parts.tee} evidence`;
    problems.addDescribed(
      present === 'none' ? parts.tee : present,
      `${expected} for variant ${message.variant}`,
      present === 'none' ? 'nothing' : `${present} evidence`,
    );
    return undefined;
  }
  if (message.snp !== undefined) return validateSnp(message.snp, parts, problems);
  if (message.tdx !== undefined) return validateTdx(message.tdx, parts, problems);
  return undefined;
}

function validateTpm(tpm: pb.TpmEvidence, problems: DocumentProblems): TpmEvidence {
  requireBytes(problems, 'tpm.akPublic', tpm.akPublic, DOCUMENT_LIMITS.akPublic, 'TPMT_PUBLIC');
  if (tpm.quotes.length === 0 || tpm.quotes.length > DOCUMENT_LIMITS.quotes) {
    problems.addDescribed('tpm.quotes', `1 to ${DOCUMENT_LIMITS.quotes} quotes`, `${tpm.quotes.length}`);
  }
  const seenBanks = new Set<string>();
  const quotes: TpmQuote[] = [];
  tpm.quotes.slice(0, DOCUMENT_LIMITS.quotes).forEach((quote, i) => {
    const path = `tpm.quotes[${i}]`;
    if (seenBanks.has(quote.pcrBank)) {
      problems.addDescribed(`${path}.pcrBank`, 'one quote per PCR bank', `a second ${quote.pcrBank} quote`);
    }
    seenBanks.add(quote.pcrBank);
    const validated = validateQuote(quote, path, problems);
    if (validated !== undefined) quotes.push(validated);
  });
  const chain = tpm.akCertificateChain;
  if (chain.length > DOCUMENT_LIMITS.akCertificateChain) {
    problems.addDescribed(
      'tpm.akCertificateChain',
      `at most ${DOCUMENT_LIMITS.akCertificateChain} certificates`,
      `${chain.length}`,
    );
  }
  chain.forEach((cert, i) => {
    requireBytes(problems, `tpm.akCertificateChain[${i}]`, cert, DOCUMENT_LIMITS.certificate, 'DER certificate');
  });
  optionalBytes(problems, 'tpm.eventLog', tpm.eventLog, DOCUMENT_LIMITS.eventLog);
  optionalBytes(problems, 'tpm.ekCertificate', tpm.ekCertificate, DOCUMENT_LIMITS.certificate);
  return {
    akPublic: tpm.akPublic,
    quotes,
    akCertificateChain: chain,
    ...present('eventLog', tpm.eventLog),
    ...present('ekCertificate', tpm.ekCertificate),
  };
}

function validateQuote(quote: pb.TpmQuote, path: string, problems: DocumentProblems): TpmQuote | undefined {
  requireBytes(problems, `${path}.attest`, quote.attest, DOCUMENT_LIMITS.quoteAttest, 'TPMS_ATTEST');
  requireBytes(problems, `${path}.signature`, quote.signature, DOCUMENT_LIMITS.quoteSignature, 'TPMT_SIGNATURE');
  const bank = quote.pcrBank;
  if (!isPcrBank(bank)) {
    problems.add(`${path}.pcrBank`, 'one of sha1, sha256, sha384, sha512', bank);
    return undefined;
  }
  const size = PCR_DIGEST_SIZE[bank];
  const pcrs: Record<number, Buffer> = {};
  for (const [key, value] of Object.entries(quote.pcrs)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= PCR_COUNT) {
      problems.add(`${path}.pcrs`, `PCR indices 0-${PCR_COUNT - 1}`, index);
      continue;
    }
    if (value.length !== size) {
      problems.add(`${path}.pcrs[${index}]`, `a ${size}-byte ${bank} digest`, value);
      continue;
    }
    pcrs[index] = value;
  }
  return { pcrBank: bank, attest: quote.attest, signature: quote.signature, pcrs };
}

function validateSnp(snp: pb.SnpEvidence, parts: VariantParts, problems: DocumentProblems): SnpEvidence {
  if (parts.hclReport) {
    requireBytes(problems, 'snp.hclReport', snp.hclReport, DOCUMENT_LIMITS.hclReport, 'HCL report');
    optionalBytes(problems, 'snp.report', snp.report, DOCUMENT_LIMITS.snpReport);
  } else {
    requireBytes(problems, 'snp.report', snp.report, DOCUMENT_LIMITS.snpReport, 'SEV-SNP attestation report');
    optionalBytes(problems, 'snp.hclReport', snp.hclReport, DOCUMENT_LIMITS.hclReport);
  }
  // Verifiers are offline: the VCEK/VLEK must travel with the report.
  requireBytes(
    problems,
    'snp.signerCertificate',
    snp.signerCertificate,
    DOCUMENT_LIMITS.certificate,
    'VCEK/VLEK certificate',
  );
  optionalBytes(problems, 'snp.certificateChain', snp.certificateChain, DOCUMENT_LIMITS.certificateChainPem);
  return {
    kind: 'snp',
    ...present('report', snp.report),
    ...present('signerCertificate', snp.signerCertificate),
    ...present('certificateChain', snp.certificateChain),
    ...present('hclReport', snp.hclReport),
  };
}

function validateTdx(tdx: pb.TdxEvidence, parts: VariantParts, problems: DocumentProblems): TdxEvidence {
  requireBytes(problems, 'tdx.quote', tdx.quote, DOCUMENT_LIMITS.tdxQuote, 'TDX quote');
  if (parts.hclReport) {
    requireBytes(problems, 'tdx.hclReport', tdx.hclReport, DOCUMENT_LIMITS.hclReport, 'HCL report');
  } else {
    optionalBytes(problems, 'tdx.hclReport', tdx.hclReport, DOCUMENT_LIMITS.hclReport);
  }
  optionalBytes(problems, 'tdx.ccEventLog', tdx.ccEventLog, DOCUMENT_LIMITS.ccEventLog);
  optionalBytes(problems, 'tdx.ccelTable', tdx.ccelTable, DOCUMENT_LIMITS.ccelTable);
  const collateral = tdx.collateral === undefined ? undefined : validateCollateral(tdx.collateral, problems);
  return {
    kind: 'tdx',
    quote: tdx.quote,
    ...(collateral === undefined ? {} : { collateral }),
    ...present('ccEventLog', tdx.ccEventLog),
    ...present('ccelTable', tdx.ccelTable),
    ...present('hclReport', tdx.hclReport),
  };
}

function validateCollateral(c: pb.TdxCollateral, problems: DocumentProblems): TdxCollateral {
  const limit = DOCUMENT_LIMITS.collateralItem;
  requireBytes(problems, 'tdx.collateral.tcbInfo', c.tcbInfo, limit, 'TCB Info JSON');
  requireBytes(problems, 'tdx.collateral.tcbInfoIssuerChain', c.tcbInfoIssuerChain, limit, 'PEM chain');
  requireBytes(problems, 'tdx.collateral.qeIdentity', c.qeIdentity, limit, 'QE Identity JSON');
  requireBytes(problems, 'tdx.collateral.qeIdentityIssuerChain', c.qeIdentityIssuerChain, limit, 'PEM chain');
  requireBytes(problems, 'tdx.collateral.pckCrl', c.pckCrl, limit, 'DER CRL');
  optionalBytes(problems, 'tdx.collateral.pckCrlIssuerChain', c.pckCrlIssuerChain, limit);
  requireBytes(problems, 'tdx.collateral.rootCrl', c.rootCrl, limit, 'DER CRL');
  return {
    tcbInfo: c.tcbInfo,
    tcbInfoIssuerChain: c.tcbInfoIssuerChain,
    qeIdentity: c.qeIdentity,
    qeIdentityIssuerChain: c.qeIdentityIssuerChain,
    pckCrl: c.pckCrl,
    rootCrl: c.rootCrl,
    ...present('pckCrlIssuerChain', c.pckCrlIssuerChain),
  };
}

function requireBytes(problems: DocumentProblems, field: string, value: Buffer, max: number, what: string): void {
  if (value.length === 0 || value.length > max) problems.add(field, `${what} of 1 to ${max} bytes`, value);
}

function optionalBytes(problems: DocumentProblems, field: string, value: Buffer, max: number): void {
  if (value.length > max) problems.add(field, `at most ${max} bytes`, value);
}

/** proto3 cannot tell empty bytes from absent ones: empty means absent. */
function present<K extends string>(key: K, value: Buffer): Partial<Record<K, Buffer>> {
  return value.length === 0 ? {} : ({ [key]: value } as Record<K, Buffer>);
}
