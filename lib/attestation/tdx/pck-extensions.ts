// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1): the platform's FMSPC,
// PCE ID and TCB (16 CPU SVN components + PCESVN) that TCB Info levels are matched against.
import { VerificationError } from '../../errors.js';
import {
  DER_TAG,
  derChildren,
  derOid,
  derUnsigned,
  derValue,
  expectTag,
  readDerRoot,
  type DerNode,
} from '../../asn1/der-reader.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import type { X509Fields } from './x509-fields.js';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

export interface PckExtensions {
  readonly ppid: Buffer;
  /** 16 SGX TCB component SVNs. */
  readonly tcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Buffer;
  readonly pceId: Buffer;
  readonly fmspc: Buffer;
  readonly sgxType: number;
}

function fail(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.PCK_EXTENSION_INVALID, `PCK certificate SGX extension: ${message}`);
}

export function readPckExtensions(pck: X509Fields): PckExtensions {
  const value = pck.extensions.get(SGX_EXTENSION_OID);
  if (value === undefined) throw fail(`expected extension ${SGX_EXTENSION_OID}, got none`);
  const entries = new Map<string, DerNode>();
  for (const entry of derChildren(readDerRoot(value, fail), fail, DER_TAG.sequence)) {
    const [oid, item] = derChildren(entry, fail, DER_TAG.sequence);
    if (oid === undefined || item === undefined) throw fail('expected OID and value in each entry');
    entries.set(derOid(oid, fail), item);
  }
  const get = (suffix: string, tag: number): DerNode => {
    const item = entries.get(`${SGX_EXTENSION_OID}.${suffix}`);
    if (item === undefined) throw fail(`expected entry ${SGX_EXTENSION_OID}.${suffix}, got none`);
    return expectTag(item, tag, fail);
  };
  const octets = (suffix: string, length: number, what: string): Buffer => {
    const content = derValue(get(suffix, DER_TAG.octetString));
    if (content.length !== length) throw fail(`expected ${length} bytes for ${what}, got ${content.length}`);
    return content;
  };

  const tcb = new Map<string, DerNode>();
  for (const entry of derChildren(get('2', DER_TAG.sequence), fail, DER_TAG.sequence)) {
    const [oid, item] = derChildren(entry, fail, DER_TAG.sequence);
    if (oid === undefined || item === undefined) throw fail('expected OID and value in each TCB entry');
    tcb.set(derOid(oid, fail), item);
  }
  const tcbItem = (index: number): DerNode => {
    const item = tcb.get(`${SGX_EXTENSION_OID}.2.${index}`);
    if (item === undefined) throw fail(`expected TCB entry ${SGX_EXTENSION_OID}.2.${index}, got none`);
    return item;
  };
  const tcbComponents = Array.from({ length: 16 }, (_, i) =>
    derUnsigned(tcbItem(i + 1), fail, `TCB component ${i + 1}`, 4),
  );
  const cpuSvn = derValue(expectTag(tcbItem(18), DER_TAG.octetString, fail, 'CPUSVN'));
  if (cpuSvn.length !== 16) throw fail(`expected 16 bytes for CPUSVN, got ${cpuSvn.length}`);

  return {
    ppid: octets('1', 16, 'PPID'),
    tcbComponents,
    pceSvn: derUnsigned(tcbItem(17), fail, 'PCESVN', 4),
    cpuSvn,
    pceId: octets('3', 2, 'PCE-ID'),
    fmspc: octets('4', 6, 'FMSPC'),
    sgxType: derUnsigned(get('5', DER_TAG.enumerated), fail, 'SGX type', 4, DER_TAG.enumerated),
  };
}
