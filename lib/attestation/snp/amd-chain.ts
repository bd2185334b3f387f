// AMD's certificate chain for one product: ARK (self-signed root, pinned) → ASK (certifies VCEKs) or
// ASVK (certifies VLEKs). Verifying it is the expensive, report-independent part of SNP verification,
// so the result is a value that can be kept and passed to verifySnpReport for many reports.
import {
  amdSignatureProblem,
  certificatesFromPem,
  checkValidity,
  parseAmdCertificate,
  type AmdCertificate,
} from './amd-certificate.js';
import { invalidArgument } from '../../errors.js';
import { AMD_CERT_CHAINS } from './amd-roots.js';
import { snpError } from './snp-error.js';
import { SNP_PRODUCTS, type SnpProduct } from './snp-product.js';

export type SnpSignerKind = 'vcek' | 'vlek';

export interface VerifiedAmdChain {
  readonly product: SnpProduct;
  /** Which signers the intermediate certifies: ASK → VCEK, ASVK → VLEK. */
  readonly kind: SnpSignerKind;
  readonly ark: AmdCertificate;
  readonly intermediate: AmdCertificate;
}

export interface AmdChainOptions {
  /** PEM bundle with ASK/ASVK and ARK (KDS order). Default: the chain shipped for `product` and `kind`. */
  readonly chain?: string;
  /** Required when `chain` is omitted; otherwise the chain must be for this product. */
  readonly product?: SnpProduct;
  /** Default 'vcek' when `chain` is omitted; otherwise the chain must certify this kind. */
  readonly kind?: SnpSignerKind;
  readonly now: Date;
  /** ARK certificates (PEM) trusted per product. Default: AMD's ARKs shipped in amd-roots.ts. */
  readonly trustedRoots?: Partial<Record<SnpProduct, string>>;
}

// Only chains that went through verifyAmdChain are accepted as pre-verified: a look-alike object is not.
const verifiedChains = new WeakSet<VerifiedAmdChain>();

export function isVerifiedAmdChain(value: unknown): value is VerifiedAmdChain {
  return typeof value === 'object' && value !== null && verifiedChains.has(value as VerifiedAmdChain);
}

let shippedRootDers: Partial<Record<SnpProduct, Buffer>> | undefined;

function rootDers(trustedRoots: Partial<Record<SnpProduct, string>> | undefined): Partial<Record<SnpProduct, Buffer>> {
  if (trustedRoots) {
    const ders: Partial<Record<SnpProduct, Buffer>> = {};
    for (const product of SNP_PRODUCTS) {
      const pem = trustedRoots[product];
      if (pem === undefined) continue;
      const [der, ...rest] = certificatesFromPem(pem);
      if (!der || rest.length > 0)
        throw invalidArgument(`trustedRoots.${product}`, 'one PEM certificate (the ARK)', pem);
      ders[product] = der;
    }
    return ders;
  }
  if (!shippedRootDers) {
    shippedRootDers = {};
    for (const product of SNP_PRODUCTS) {
      const ark = certificatesFromPem(AMD_CERT_CHAINS[product].vcek)[1];
      if (ark) shippedRootDers[product] = ark;
    }
  }
  return shippedRootDers;
}

function chainInvalid(message: string): Error {
  return snpError('SNP_CHAIN_INVALID', message);
}

/** Verifies ARK → ASK/ASVK at `now`. Throws SNP_ROOT_UNTRUSTED, SNP_CHAIN_INVALID, SNP_CERT_EXPIRED, … */
export function verifyAmdChain(options: AmdChainOptions): VerifiedAmdChain {
  let pem = options.chain;
  if (pem === undefined) {
    if (!options.product) throw chainInvalid('Expected a product to pick the shipped AMD chain, got none');
    pem = AMD_CERT_CHAINS[options.product][options.kind ?? 'vcek'];
  }
  const ders = certificatesFromPem(pem);
  if (ders.length !== 2)
    throw chainInvalid(`Expected 2 certificates (ASK or ASVK, then ARK) in the AMD chain, got ${ders.length}`);
  const certificates = ders.map((der) => parseAmdCertificate(der));
  const ark = certificates.find((c) => c.subjectDer.equals(c.issuerDer));
  const intermediate = certificates.find((c) => c !== ark);
  if (!ark || !intermediate)
    throw snpError('SNP_ROOT_UNTRUSTED', 'Expected a self-issued ARK in the AMD chain, got none');

  const selfSignature = amdSignatureProblem(ark, ark);
  if (selfSignature) {
    throw snpError('SNP_ROOT_UNTRUSTED', `ARK "${ark.subjectCommonName}" expected to be self-signed: ${selfSignature}`);
  }
  const roots = rootDers(options.trustedRoots);
  const product = SNP_PRODUCTS.find((p) => roots[p]?.equals(ark.der) === true);
  if (!product) {
    throw snpError(
      'SNP_ROOT_UNTRUSTED',
      `ARK "${ark.subjectCommonName}" (sha256 ${ark.fingerprint.slice(0, 16)}…) expected to be a trusted AMD root, got an unknown certificate`,
    );
  }
  if (options.product && options.product !== product) {
    throw chainInvalid(
      `AMD chain expected for ${options.product}, got the ${product} chain (ARK "${ark.subjectCommonName}")`,
    );
  }
  const link = amdSignatureProblem(intermediate, ark);
  if (link)
    throw chainInvalid(
      `"${intermediate.subjectCommonName}" is not certified by ARK "${ark.subjectCommonName}": ${link}`,
    );
  const kind =
    intermediate.subjectCommonName === `SEV-${product}`
      ? 'vcek'
      : intermediate.subjectCommonName === `SEV-VLEK-${product}`
        ? 'vlek'
        : undefined;
  if (!kind) {
    throw chainInvalid(
      `AMD intermediate expected "SEV-${product}" (ASK) or "SEV-VLEK-${product}" (ASVK), got "${intermediate.subjectCommonName}"`,
    );
  }
  if (options.kind && options.kind !== kind) {
    throw chainInvalid(
      `AMD chain expected to certify a ${options.kind.toUpperCase()}, got "${intermediate.subjectCommonName}"`,
    );
  }
  checkValidity(ark, 'ARK', options.now);
  checkValidity(intermediate, kind === 'vcek' ? 'ASK' : 'ASVK', options.now);
  const verified: VerifiedAmdChain = Object.freeze({ product, kind, ark, intermediate });
  verifiedChains.add(verified);
  return verified;
}
