// SEV-SNP issuer (node side): an attestation report whose REPORT_DATA is the binding, plus the VCEK/VLEK and
// ASK/ARK the host supplies. configfs-tsm first (Linux >= 6.7); /dev/sev-guest SNP_GET_EXT_REPORT otherwise.
import { X509Certificate } from 'node:crypto';
import { ConstellationError } from '../../errors.js';
import {
  DEFAULT_SEV_GUEST_DEVICE,
  snpGetReport,
  type SnpIoctlRequest,
  type SnpIoctlResult,
} from '../../../native/tee-guest.js';
import type { AttestationDocument, SnpEvidence } from '../../../proto/gen/attestation.js';
import { DEFAULT_TSM_ROOT, nodeTsmFilesystem, requestTsmReport, type TsmFilesystem } from './configfs-tsm-report.js';
import { teeReportData } from './report-data.js';
import { parseSnpCertificateTable, type SnpCertificateEntry } from './snp-certificate-table.js';
import { TEE_ISSUER_ERROR_CODES as CODES } from './tee-issuer-error-codes.js';

export interface SnpIssueRequest {
  /** The verifier's fresh nonce (at least 16 bytes). */
  readonly nonce: Uint8Array;
  /** The channel public key the evidence is bound to. */
  readonly binding: Uint8Array;
  /** VMPL to request the report for; written to configfs `privlevel` / the ioctl only when given (default 0). */
  readonly vmpl?: number;
  readonly tsmRoot?: string;
  readonly tsmFs?: TsmFilesystem;
  readonly devicePath?: string;
  /** The ioctl entry point (injectable for tests). */
  readonly snpIoctl?: (request: SnpIoctlRequest) => Promise<SnpIoctlResult>;
}

export interface SnpIssueResult {
  /** The whole document (version 1, variant sev-snp) wrapping `evidence`. */
  readonly document: AttestationDocument;
  readonly evidence: SnpEvidence;
  readonly source: 'configfs-tsm' | 'sev-guest-ioctl';
  /** Things a verifier will have to make up for, e.g. no VCEK from the host (fetch it from AMD KDS). */
  readonly warnings: readonly string[];
}

function toPem(der: Buffer): string {
  // Round-trip through X509Certificate so a garbage host entry fails here, not in a verifier far away.
  return new X509Certificate(der).toString();
}

/** Picks the signer (VCEK, else VLEK) and the ASK/ARK chain (PEM, ASK first as AMD KDS serves it). */
export function snpEvidenceFromCertificates(
  report: Buffer,
  entries: readonly SnpCertificateEntry[],
): { evidence: SnpEvidence; warnings: string[] } {
  const warnings: string[] = [];
  const byKind = (kind: SnpCertificateEntry['kind']): Buffer | undefined =>
    entries.find((entry) => entry.kind === kind && entry.data.length > 0)?.data;
  const signer = byKind('vcek') ?? byKind('vlek');
  if (signer === undefined) {
    warnings.push('host supplied no VCEK/VLEK certificate: the verifier must fetch the VCEK from AMD KDS');
  }
  const chainParts: string[] = [];
  for (const kind of ['ask', 'ark'] as const) {
    const der = byKind(kind);
    if (der === undefined) continue;
    try {
      chainParts.push(toPem(der));
    } catch (error) {
      throw new ConstellationError(
        CODES.TEE_CERT_TABLE_MALFORMED,
        `Expected a DER certificate in the host's ${kind.toUpperCase()} entry, got ${der.length} unparsable bytes`,
        { cause: error },
      );
    }
  }
  if (chainParts.length < 2) warnings.push('host supplied no complete ASK/ARK chain: verifiers use the AMD roots');
  return {
    evidence: {
      report,
      signerCertificate: signer ?? Buffer.alloc(0),
      certificateChain: Buffer.from(chainParts.length === 2 ? chainParts.join('') : ''),
      hclReport: Buffer.alloc(0),
    },
    warnings,
  };
}

function snpDocument(snp: SnpEvidence): AttestationDocument {
  return { version: 1, variant: 'sev-snp', tpm: undefined, snp };
}

/** Issues SEV-SNP evidence bound to (nonce, binding). */
export async function issueSnpEvidence(request: SnpIssueRequest): Promise<SnpIssueResult> {
  const reportData = teeReportData(request.nonce, request.binding);
  const tsmRoot = request.tsmRoot ?? DEFAULT_TSM_ROOT;
  const tsmFs = request.tsmFs ?? nodeTsmFilesystem;
  let tsmFailure: ConstellationError;
  try {
    const tsm = await requestTsmReport({
      inblob: reportData,
      provider: 'sev_guest',
      root: tsmRoot,
      fs: tsmFs,
      ...(request.vmpl === undefined ? {} : { privlevel: request.vmpl }),
    });
    const { evidence, warnings } = snpEvidenceFromCertificates(tsm.outblob, parseSnpCertificateTable(tsm.auxblob));
    return { document: snpDocument(evidence), evidence, source: 'configfs-tsm', warnings };
  } catch (error) {
    if (!(error instanceof ConstellationError) || error.code !== CODES.TEE_UNAVAILABLE) throw error;
    tsmFailure = error;
  }
  const devicePath = request.devicePath ?? DEFAULT_SEV_GUEST_DEVICE;
  const ioctl = request.snpIoctl ?? snpGetReport;
  let result: SnpIoctlResult;
  try {
    result = await ioctl({
      reportData,
      devicePath,
      extended: true,
      ...(request.vmpl === undefined ? {} : { vmpl: request.vmpl }),
    });
  } catch (error) {
    if (error instanceof ConstellationError && error.code === CODES.TEE_UNAVAILABLE) {
      throw new ConstellationError(
        CODES.TEE_UNAVAILABLE,
        `No SEV-SNP report interface found: looked for configfs-tsm at ${tsmRoot}/report (Linux >= 6.7, ` +
          `CONFIG_TSM_REPORTS) and for ${devicePath} (sev-guest driver, Linux >= 5.19). Is this an SEV-SNP guest?`,
        { cause: new AggregateError([tsmFailure, error]) },
      );
    }
    throw error;
  }
  const { evidence, warnings } = snpEvidenceFromCertificates(
    result.report,
    parseSnpCertificateTable(result.certs ?? Buffer.alloc(0)),
  );
  return { document: snpDocument(evidence), evidence, source: 'sev-guest-ioctl', warnings };
}
