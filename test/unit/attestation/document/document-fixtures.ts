// Documents built from the real vectors in test/vectors, for the document tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttestationDocument } from '../../../../lib/attestation/document/index.js';
import { documentFromGcpAttestation } from '../../../../lib/attestation/document/index.js';

const VECTORS = fileURLToPath(new URL('../../../vectors/', import.meta.url));

/** Reads a vector; a missing file throws, so the test using it fails instead of skipping. */
export function vector(path: string): Buffer {
  return readFileSync(VECTORS + path);
}

export function gcpDocument(): AttestationDocument {
  return documentFromGcpAttestation(vector('gcp/go-tpm-tools/attestations/gce-cos-85-nonce9009.pb'));
}

export function snpDocument(): AttestationDocument {
  return {
    version: 1,
    variant: 'sev-snp',
    tee: {
      kind: 'snp',
      report: vector('sev-snp/go-sev-guest/attestation.bin'),
      signerCertificate: vector('sev-snp/go-sev-guest/vcek.testcer'),
      certificateChain: vector('sev-snp/amd-roots/ask_ark_milan.pem'),
    },
  };
}

export function tdxDocument(): AttestationDocument {
  const dir = 'tdx/go-tdx-guest/';
  return {
    version: 1,
    variant: 'tdx',
    tee: {
      kind: 'tdx',
      quote: vector(`${dir}tdx_prod_quote_SPR_E4.dat`),
      collateral: {
        tcbInfo: vector(`${dir}sample_tcbInfo_response`),
        tcbInfoIssuerChain: vector(`${dir}tcb_info_issuer_chain.pem`),
        qeIdentity: vector(`${dir}sample_qeIdentity_response`),
        qeIdentityIssuerChain: vector(`${dir}qe_identity_issuer_chain.pem`),
        pckCrl: vector(`${dir}pckcrl`),
        pckCrlIssuerChain: vector(`${dir}pck_crl_issuer_chain.pem`),
        rootCrl: vector(`${dir}rootcrl.der`),
      },
      ccEventLog: vector(`${dir}ccel/ccel_data.dat`),
      ccelTable: vector(`${dir}ccel/ccel_table.dat`),
    },
  };
}

export function allDocuments(): Record<string, AttestationDocument> {
  return { gcp: gcpDocument(), snp: snpDocument(), tdx: tdxDocument() };
}
