// Verifies that a VCEK/VLEK is certified by AMD for its product: signer → ASK/ASVK → ARK (pinned).
// Report-independent, so it also serves to check a signer fetched from KDS before any report arrives.
import { invalidArgument } from '../../errors.js';
import { amdSignatureProblem, certificatesFromPem, checkValidity } from './amd-certificate.js';
import { isVerifiedAmdChain, verifyAmdChain, type SnpSignerKind, type VerifiedAmdChain } from './amd-chain.js';
import { parseSignerCertificate, type SnpSignerCertificate } from './signer-certificate.js';
import { snpError } from './snp-error.js';
import { isSnpProduct, type SnpProduct } from './snp-product.js';

export interface VerifySnpSignerOptions {
  /** The VCEK or VLEK certificate, DER bytes or PEM. */
  readonly signer: Uint8Array | string;
  /** PEM bundle (ASK/ASVK then ARK), or a chain verified earlier with verifyAmdChain. Default: shipped AMD chain. */
  readonly chain?: string | VerifiedAmdChain;
  /** Default: the product named by the signer's productName extension. */
  readonly product?: SnpProduct;
  /** Verification time; injectable because recorded certificates expire. */
  readonly now: Date;
  /** ARK certificates trusted per product (PEM). Default: AMD's, shipped in amd-roots.ts. */
  readonly trustedRoots?: Partial<Record<SnpProduct, string>>;
}

export interface VerifiedSnpSigner {
  readonly signer: SnpSignerCertificate;
  readonly chain: VerifiedAmdChain;
  readonly product: SnpProduct;
}

function validateOptions(options: VerifySnpSignerOptions): void {
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime())) {
    throw invalidArgument('now', 'a valid Date', options.now);
  }
  if (options.product !== undefined && !isSnpProduct(options.product)) {
    throw invalidArgument('product', 'Milan, Genoa or Turin', options.product);
  }
  if (typeof options.signer !== 'string' && !(options.signer instanceof Uint8Array)) {
    throw invalidArgument('signer', 'a DER certificate (Uint8Array) or PEM string', options.signer);
  }
}

function chainFor(options: VerifySnpSignerOptions, product: SnpProduct, kind: SnpSignerKind): VerifiedAmdChain {
  const given = options.chain;
  if (given === undefined || typeof given === 'string') {
    return verifyAmdChain({
      ...(given === undefined ? {} : { chain: given }),
      ...(options.trustedRoots ? { trustedRoots: options.trustedRoots } : {}),
      product,
      kind,
      now: options.now,
    });
  }
  if (!isVerifiedAmdChain(given)) {
    throw invalidArgument('chain', 'a PEM string or a chain returned by verifyAmdChain', given);
  }
  if (given.product !== product) {
    throw snpError('SNP_CHAIN_INVALID', `AMD chain expected for ${product}, got the ${given.product} chain`);
  }
  if (given.kind !== kind) {
    throw snpError(
      'SNP_CHAIN_INVALID',
      `AMD chain expected to certify a ${kind.toUpperCase()}, got one for ${given.kind.toUpperCase()}s`,
    );
  }
  // The chain's signatures were checked once; its validity depends on `now` and is checked every time.
  checkValidity(given.ark, 'ARK', options.now);
  checkValidity(given.intermediate, given.kind === 'vcek' ? 'ASK' : 'ASVK', options.now);
  return given;
}

// Signers already certified under a cached chain, by DER: parsing the VCEK and checking the ASK's RSA signature
// cost as much as the report's own ECDSA check, and a verifier sees the same few VCEKs again and again.
// Only pure results are kept (keyed by the exact bytes); product, kind and validity at `now` are checked per call.
const certifiedSigners = new WeakMap<VerifiedAmdChain, Map<string, SnpSignerCertificate>>();
const MAX_CERTIFIED_SIGNERS_PER_CHAIN = 64;

function signerDer(input: Uint8Array | string): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const ders = certificatesFromPem(input);
  if (ders.length !== 1 || !ders[0]) {
    throw snpError('SNP_CERT_MALFORMED', `Expected one PEM certificate for the signer certificate, got ${ders.length}`);
  }
  return ders[0];
}

function rememberSigner(chain: VerifiedAmdChain, key: string, signer: SnpSignerCertificate): void {
  let signers = certifiedSigners.get(chain);
  if (!signers) {
    signers = new Map();
    certifiedSigners.set(chain, signers);
  }
  if (signers.size >= MAX_CERTIFIED_SIGNERS_PER_CHAIN) {
    const oldest = signers.keys().next();
    if (oldest.done !== true) signers.delete(oldest.value);
  }
  signers.set(key, signer);
}

/** Throws SNP_PRODUCT_MISMATCH, SNP_ROOT_UNTRUSTED, SNP_CHAIN_INVALID, SNP_CERT_EXPIRED, … */
export function verifySnpSigner(options: VerifySnpSignerOptions): VerifiedSnpSigner {
  validateOptions(options);
  const der = signerDer(options.signer);
  const cacheKey = der.toString('latin1');
  const cachedChain = isVerifiedAmdChain(options.chain) ? options.chain : undefined;
  const known = cachedChain ? certifiedSigners.get(cachedChain)?.get(cacheKey) : undefined;
  if (cachedChain && known) {
    const product = options.product ?? known.product;
    if (known.product !== product) {
      throw snpError('SNP_PRODUCT_MISMATCH', `Signer product expected ${product}, got "${known.productName}"`);
    }
    const chain = chainFor(options, product, known.kind);
    checkValidity(known.certificate, known.kind.toUpperCase(), options.now);
    return { signer: known, chain, product };
  }
  const signer = parseSignerCertificate(der);
  const product = options.product ?? signer.product;
  if (signer.product !== product) {
    throw snpError('SNP_PRODUCT_MISMATCH', `Signer product expected ${product}, got "${signer.productName}"`);
  }
  const chain = chainFor(options, product, signer.kind);
  const link = amdSignatureProblem(signer.certificate, chain.intermediate);
  if (link) {
    throw snpError(
      'SNP_CHAIN_INVALID',
      `${signer.kind.toUpperCase()} expected to be certified by "${chain.intermediate.subjectCommonName}": ${link}`,
    );
  }
  if (cachedChain) rememberSigner(cachedChain, cacheKey, signer);
  checkValidity(signer.certificate, signer.kind.toUpperCase(), options.now);
  return { signer, chain, product };
}
