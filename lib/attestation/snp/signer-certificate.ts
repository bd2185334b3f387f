// A VCEK (chip-unique, Versioned Chip Endorsement Key) or VLEK (Versioned Loaded Endorsement Key,
// per cloud provider) certificate and the AMD extensions that bind it to a chip and a TCB.
import { certificateFromDerOrPem, type AmdCertificate } from './amd-certificate.js';
import { DER_TAG, derString, derUnsigned, readDerRoot } from '../../asn1/der-reader.js';
import { snpDerFailure as fail, snpError } from './snp-error.js';
import { parseProductName, type SnpProduct } from './snp-product.js';

/** AMD's arc for SEV certificate extensions (AMD VCEK/VLEK certificate specification). */
const AMD_ARC = '1.3.6.1.4.1.3704.1';
export const SNP_EXTENSION_OID = {
  structVersion: `${AMD_ARC}.1`,
  productName: `${AMD_ARC}.2`,
  blSpl: `${AMD_ARC}.3.1`,
  teeSpl: `${AMD_ARC}.3.2`,
  snpSpl: `${AMD_ARC}.3.3`,
  ucodeSpl: `${AMD_ARC}.3.8`,
  fmcSpl: `${AMD_ARC}.3.9`,
  hwId: `${AMD_ARC}.4`,
  cspId: `${AMD_ARC}.5`,
} as const;

export interface SignerSpls {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly fmc?: number;
}

export interface SnpSignerCertificate {
  readonly kind: 'vcek' | 'vlek';
  readonly certificate: AmdCertificate;
  readonly structVersion: number;
  readonly productName: string;
  readonly product: SnpProduct;
  readonly stepping: number | undefined;
  readonly spls: SignerSpls;
  /** VCEK only: the chip's ID (64 bytes on Milan/Genoa, 8 bytes on Turin), raw extension bytes. */
  readonly hwId: Buffer | undefined;
  /** VLEK only: the cloud provider the key was loaded for. */
  readonly cspId: string | undefined;
}

function extension(certificate: AmdCertificate, oid: string, name: string): Buffer {
  const value = certificate.extensions.get(oid);
  if (!value)
    throw snpError('SNP_CERT_MALFORMED', `Expected the ${name} extension (${oid}) in the signer certificate, got none`);
  return value;
}

function splExtension(certificate: AmdCertificate, oid: string, name: string): number {
  const spl = derUnsigned(readDerRoot(extension(certificate, oid, name), fail), fail, name);
  if (spl > 255) throw snpError('SNP_CERT_MALFORMED', `Expected ${name} in 0..255, got ${spl}`);
  return spl;
}

function stringExtension(certificate: AmdCertificate, oid: string, name: string): string {
  const node = readDerRoot(extension(certificate, oid, name), fail);
  if (node.tag !== DER_TAG.ia5String && node.tag !== DER_TAG.utf8String && node.tag !== DER_TAG.printableString) {
    throw snpError('SNP_CERT_MALFORMED', `Expected a string for ${name}, got tag 0x${node.tag.toString(16)}`);
  }
  return derString(node, fail, name);
}

/** Reads the AMD extensions of a parsed VCEK/VLEK certificate. */
export function signerFromCertificate(certificate: AmdCertificate): SnpSignerCertificate {
  const name = certificate.subjectCommonName;
  const kind = name === 'SEV-VCEK' ? 'vcek' : name === 'SEV-VLEK' ? 'vlek' : undefined;
  if (!kind) {
    throw snpError(
      'SNP_CERT_MALFORMED',
      `Expected a signer certificate named SEV-VCEK or SEV-VLEK, got "${name.slice(0, 64)}"`,
    );
  }
  const productName = stringExtension(certificate, SNP_EXTENSION_OID.productName, 'productName');
  const { product, stepping } = parseProductName(productName);
  const fmc = certificate.extensions.has(SNP_EXTENSION_OID.fmcSpl)
    ? splExtension(certificate, SNP_EXTENSION_OID.fmcSpl, 'fmcSPL')
    : undefined;
  if (product === 'Turin' && fmc === undefined) {
    throw snpError('SNP_CERT_MALFORMED', 'Expected the fmcSPL extension in a Turin signer certificate, got none');
  }
  const spls: SignerSpls = {
    bootloader: splExtension(certificate, SNP_EXTENSION_OID.blSpl, 'blSPL'),
    tee: splExtension(certificate, SNP_EXTENSION_OID.teeSpl, 'teeSPL'),
    snp: splExtension(certificate, SNP_EXTENSION_OID.snpSpl, 'snpSPL'),
    microcode: splExtension(certificate, SNP_EXTENSION_OID.ucodeSpl, 'ucodeSPL'),
    ...(fmc === undefined ? {} : { fmc }),
  };
  const structVersion = certificate.extensions.has(SNP_EXTENSION_OID.structVersion)
    ? derUnsigned(
        readDerRoot(extension(certificate, SNP_EXTENSION_OID.structVersion, 'structVersion'), fail),
        fail,
        'structVersion',
      )
    : 0;
  const hwId = kind === 'vcek' ? Buffer.from(extension(certificate, SNP_EXTENSION_OID.hwId, 'hwID')) : undefined;
  if (hwId && hwId.length !== 64 && hwId.length !== 8) {
    throw snpError('SNP_CERT_MALFORMED', `Expected a VCEK hwID of 64 or 8 bytes, got ${hwId.length}`);
  }
  const cspId = kind === 'vlek' ? stringExtension(certificate, SNP_EXTENSION_OID.cspId, 'cspID') : undefined;
  return { kind, certificate, structVersion, productName, product, stepping, spls, hwId, cspId };
}

/** Parses a VCEK/VLEK given as DER bytes or a PEM string. */
export function parseSignerCertificate(input: Uint8Array | string): SnpSignerCertificate {
  return signerFromCertificate(certificateFromDerOrPem(input, 'the signer certificate'));
}
