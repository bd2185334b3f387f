// Loads the go-tdx-guest vectors for the TDX tests. A missing file throws, so its tests fail (never skip).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TdxCollateral } from '../../../../lib/attestation/tdx/index.js';

const DIR = fileURLToPath(new URL('../../../vectors/tdx/go-tdx-guest/', import.meta.url));

export function tdxVector(name: string): Buffer {
  return readFileSync(DIR + name);
}

export interface ExpectedQuote {
  readonly file: string;
  readonly header: { readonly version: number; readonly qe_vendor_id: string; readonly user_data: string };
  readonly body_type: number | null;
  readonly td_quote_body: Readonly<Record<string, string>>;
  readonly attestation_key_xy: string;
  readonly qe_report: {
    readonly cpusvn: string;
    readonly mrsigner: string;
    readonly isvprodid: number;
    readonly isvsvn: number;
    readonly report_data: string;
  };
  readonly qe_auth_data: string;
  readonly pck_chain: readonly { readonly serial: string; readonly not_after: string }[];
  readonly pck_extensions: {
    readonly PCEID: string;
    readonly FMSPC: string;
    readonly TCB_comp_svns: readonly number[];
    readonly PCESVN: number;
    readonly CPUSVN: string;
    readonly PPID: string;
  };
}

interface ExpectedFile {
  readonly quotes: readonly ExpectedQuote[];
}

const expected = JSON.parse(tdxVector('expected.json').toString('utf8')) as ExpectedFile;

export function expectedQuote(file: string): ExpectedQuote {
  const found = expected.quotes.find((q) => q.file === file);
  if (found === undefined) throw new Error(`expected.json has no entry for ${file}`);
  return found;
}

export const V4_QUOTE = 'tdx_prod_quote_SPR_E4.dat';
export const V5_QUOTE = 'quote_v5_sample.dat';
export const COS_QUOTE = 'ccel/cos-113-tdx-quote.dat';

/** Upstream go-tdx-guest test time for the v4 quote and its collateral. */
export const V4_TIME = new Date('2023-07-01T01:00:00Z');
export const V5_TIME = new Date('2026-02-03T01:00:00Z');
/** Within the COS-113 PCK validity (2024-07-02..2031-07-02). */
export const COS_TIME = new Date('2026-02-03T01:00:00Z');

export function v4Collateral(overrides: Partial<TdxCollateral> = {}): TdxCollateral {
  return {
    tcbInfo: tdxVector('sample_tcbInfo_response'),
    tcbInfoIssuerChain: tdxVector('tcb_info_issuer_chain.pem').toString('utf8'),
    qeIdentity: tdxVector('sample_qeIdentity_response'),
    qeIdentityIssuerChain: tdxVector('qe_identity_issuer_chain.pem').toString('utf8'),
    pckCrl: tdxVector('pckcrl'),
    pckCrlIssuerChain: tdxVector('pck_crl_issuer_chain.pem').toString('utf8'),
    rootCrl: tdxVector('rootcrl.der'),
    ...overrides,
  };
}
