// Subject and issuer names as we issue them: a sequence of single-valued RDNs of CN and O attributes, in the
// order given (Kubernetes reads the user from CN and its groups from every O). Values are PrintableString
// when they fit its alphabet and UTF8String otherwise, as Go's crypto/x509 (kubeadm) and our earlier
// certificates wrote them, both forms RFC 5280 §4.1.2.4 allows.
import {
  encodeOid,
  encodePrintableString,
  encodeSequence,
  encodeSet,
  encodeUtf8String,
  isPrintableString,
} from '../asn1/der-writer.js';
import { invalidArgument } from '../errors.js';

/** The attribute types we use, with their OIDs (X.520). */
export const NAME_ATTRIBUTE_OID = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
} as const;

export interface NameAttribute {
  readonly type: keyof typeof NAME_ATTRIBUTE_OID;
  readonly value: string;
}

/** RDNs in certificate order (first is outermost), each one attribute. */
export type DistinguishedName = readonly NameAttribute[];

/** RFC 5280 upper bounds: ub-common-name and ub-organization-name are both 64. */
const MAX_VALUE_LENGTH = 64;

/** The DER Name (RDNSequence) of `name`. */
export function encodeName(name: DistinguishedName): Buffer {
  const rdns = name.map(({ type, value }) => {
    if (!Object.hasOwn(NAME_ATTRIBUTE_OID, type)) throw invalidArgument('name attribute type', 'CN or O', type);
    if (value.length === 0 || value.length > MAX_VALUE_LENGTH) {
      throw invalidArgument(`${type} value`, `1..${MAX_VALUE_LENGTH} characters`, value);
    }
    const encoded = isPrintableString(value) ? encodePrintableString(value) : encodeUtf8String(value);
    return encodeSet(encodeSequence(encodeOid(NAME_ATTRIBUTE_OID[type]), encoded));
  });
  return encodeSequence(...rdns);
}
