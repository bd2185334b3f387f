// Recorded TEE evidence from test/vectors, read strictly: a missing file throws and fails the test.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  encodeSnpCertificateTable,
  SNP_CERTIFICATE_GUIDS,
} from '../../../../lib/attestation/issuers/snp-certificate-table.js';

const vectors = fileURLToPath(new URL('../../../vectors/', import.meta.url));

export function vector(path: string): Buffer {
  return readFileSync(vectors + path);
}

/** go-sev-guest's Milan report (1184 bytes) and its VCEK (DER). */
export function snpMilan(): { report: Buffer; vcek: Buffer; ask: Buffer; ark: Buffer } {
  const bundle = vector('sev-snp/amd-roots/ask_ark_milan.pem').toString('utf8');
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const [ask, ark] = pems;
  if (ask === undefined || ark === undefined || pems.length !== 2) {
    throw new Error(`expected ASK and ARK in ask_ark_milan.pem, found ${pems.length} certificates`);
  }
  return {
    report: vector('sev-snp/go-sev-guest/attestation.bin'),
    vcek: vector('sev-snp/go-sev-guest/vcek.testcer'),
    ask: new X509Certificate(ask).raw,
    ark: new X509Certificate(ark).raw,
  };
}

/** The host certificate table a Milan host would hand out: VCEK, ASK, ARK. */
export function snpMilanCertificateTable(): Buffer {
  const { vcek, ask, ark } = snpMilan();
  return encodeSnpCertificateTable([
    { guid: SNP_CERTIFICATE_GUIDS.vcek, data: vcek },
    { guid: SNP_CERTIFICATE_GUIDS.ask, data: ask },
    { guid: SNP_CERTIFICATE_GUIDS.ark, data: ark },
  ]);
}

/** go-tdx-guest's production SPR quote (v4). */
export function tdxQuote(): Buffer {
  return vector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat');
}
