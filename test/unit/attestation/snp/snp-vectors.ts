// Loads the SEV-SNP vectors for tests. A missing file throws, so the test using it fails (never skips).
import { readFileSync } from 'node:fs';

const VECTORS = new URL('../../../vectors/', import.meta.url);

export function vectorBytes(path: string): Buffer {
  return readFileSync(new URL(path, VECTORS));
}

export function vectorText(path: string): string {
  return readFileSync(new URL(path, VECTORS), 'utf8');
}

export interface ExpectedSnpVector {
  id: string;
  report?: string;
  signer: string;
  chain: string;
  fields?: Record<string, unknown> & {
    current_tcb_parts: Record<'bl' | 'tee' | 'snp' | 'ucode', number>;
    reported_tcb_parts: Record<'bl' | 'tee' | 'snp' | 'ucode', number>;
    launch_tcb_parts: Record<'bl' | 'tee' | 'snp' | 'ucode', number>;
    'current_build/minor/major': [number, number, number];
  };
  signer_cert: Record<string, string | number>;
}

export const expectedVectors = JSON.parse(vectorText('sev-snp/expected.json')) as ExpectedSnpVector[];

export function expectedVector(id: string): ExpectedSnpVector {
  const found = expectedVectors.find((v) => v.id === id);
  if (!found) throw new Error(`vector ${id} missing from sev-snp/expected.json`);
  return found;
}

export const GSG = {
  report: vectorBytes('sev-snp/go-sev-guest/attestation.bin'),
  vcek: vectorBytes('sev-snp/go-sev-guest/vcek.testcer'),
  // Upstream TestVerifyVcekCert evaluates validity at this time.
  now: new Date('2022-09-24T01:00:00Z'),
};
export const VIRTEE = {
  report: vectorBytes('sev-snp/virtee-sev/report_milan.bin'),
  reportHex: vectorText('sev-snp/virtee-sev/report_milan.hex'),
  vcek: vectorBytes('sev-snp/virtee-sev/vcek_milan.der'),
  now: new Date('2024-06-01T00:00:00Z'),
};
export const TURIN_VCEK = vectorBytes('sev-snp/virtee-sev/vcek_turin.der');
export const AZURE_HCL_REPORT = vectorBytes('azure/azure-cvm-tooling/hcl-report-snp.bin');
export const AZURE_CERTS = vectorText('azure/azure-cvm-tooling/certs.pem');

export function amdChain(file: string): string {
  return vectorText(`sev-snp/amd-roots/${file}`);
}
