// Reads Intel PCS collateral from a directory. Each item may have one of several names: ours, or the
// names go-tdx-guest uses in its testdata (so test/vectors/tdx/go-tdx-guest works as is).
import type { TdxCollateral } from '../../lib/attestation/document/index.js';
import type { CliIo } from '../cli-io.js';
import { UsageError } from '../usage-error.js';
import { readInputFile } from './input-file.js';

const NAMES: Readonly<Record<keyof TdxCollateral, readonly string[]>> = {
  tcbInfo: ['tcb_info.json', 'sample_tcbInfo_response'],
  tcbInfoIssuerChain: ['tcb_info_issuer_chain.pem'],
  qeIdentity: ['qe_identity.json', 'sample_qeIdentity_response'],
  qeIdentityIssuerChain: ['qe_identity_issuer_chain.pem'],
  pckCrl: ['pck_crl.der', 'pckcrl'],
  pckCrlIssuerChain: ['pck_crl_issuer_chain.pem'],
  rootCrl: ['root_crl.der', 'rootcrl.der'],
};
const OPTIONAL: readonly (keyof TdxCollateral)[] = ['pckCrlIssuerChain'];

/** The file names looked for, for --help. */
export const COLLATERAL_FILE_HELP = Object.entries(NAMES)
  .map(([key, names]) => {
    const optional = OPTIONAL.includes(key as keyof TdxCollateral) ? ' (optional)' : '';
    return `  ${key.padEnd(22)} ${names.join(' | ')}${optional}`;
  })
  .join('\n');

export async function readCollateralDir(io: CliIo, dir: string): Promise<TdxCollateral> {
  let entries: string[];
  try {
    entries = await io.readDir(dir);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new UsageError(`Expected a readable directory for --collateral-dir but received "${dir}" (${reason})`);
  }
  const found: Partial<Record<keyof TdxCollateral, Buffer>> = {};
  const missing: string[] = [];
  for (const [key, names] of Object.entries(NAMES) as [keyof TdxCollateral, readonly string[]][]) {
    const name = names.find((n) => entries.includes(n));
    if (name === undefined) {
      if (!OPTIONAL.includes(key)) missing.push(`${key} (${names.join(' or ')})`);
      continue;
    }
    found[key] = await readInputFile(io, `${dir}/${name}`, '--collateral-dir');
  }
  const { tcbInfo, tcbInfoIssuerChain, qeIdentity, qeIdentityIssuerChain, pckCrl, rootCrl } = found;
  if (
    missing.length > 0 ||
    tcbInfo === undefined ||
    tcbInfoIssuerChain === undefined ||
    qeIdentity === undefined ||
    qeIdentityIssuerChain === undefined ||
    pckCrl === undefined ||
    rootCrl === undefined
  ) {
    throw new UsageError(`Expected Intel collateral in --collateral-dir "${dir}" but it lacks ${missing.join(', ')}`);
  }
  return {
    tcbInfo,
    tcbInfoIssuerChain,
    qeIdentity,
    qeIdentityIssuerChain,
    pckCrl,
    rootCrl,
    ...(found.pckCrlIssuerChain === undefined ? {} : { pckCrlIssuerChain: found.pckCrlIssuerChain }),
  };
}
