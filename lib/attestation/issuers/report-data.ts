// The 64-byte REPORT_DATA of SEV-SNP reports and TDX quotes: the 32-byte binding, then 32 zero bytes, so that
// TEE evidence carries exactly the value a TPM quote carries as qualifying data.
import { computeBinding } from '../verify/binding.js';

export const TEE_REPORT_DATA_LENGTH = 64;

/** computeBinding(nonce, binding) zero-padded to 64 bytes. */
export function teeReportData(nonce: Uint8Array, binding: Uint8Array): Buffer {
  const reportData = Buffer.alloc(TEE_REPORT_DATA_LENGTH);
  computeBinding(nonce, binding).copy(reportData);
  return reportData;
}
