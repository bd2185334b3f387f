// Names: RDNs in the order given, PrintableString when the value fits it and UTF8String otherwise, and the
// RFC 5280 length bounds.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { DER_TAG, derChildren, derOid, derString, readDerRoot } from '../../../lib/asn1/der-reader.js';
import { encodeName, NAME_ATTRIBUTE_OID, type DistinguishedName } from '../../../lib/x509/index.js';

const fail = (message: string): Error => new Error(message);

function attributes(name: DistinguishedName): { oid: string; tag: number; value: string }[] {
  const rdns = derChildren(readDerRoot(encodeName(name), fail), fail, DER_TAG.sequence);
  return rdns.map((rdn) => {
    const [attribute, ...more] = derChildren(rdn, fail, DER_TAG.set);
    if (!attribute || more.length > 0) throw new Error('expected one attribute per RDN');
    const [oid, value] = derChildren(attribute, fail, DER_TAG.sequence);
    if (!oid || !value) throw new Error('expected type and value');
    return { oid: derOid(oid, fail), tag: value.tag, value: derString(value, fail, 'value') };
  });
}

t.test('order, types and string forms', (t) => {
  t.same(
    attributes([
      { type: 'O', value: 'system:masters' },
      { type: 'O', value: 'system:nodes' },
      { type: 'CN', value: 'kubernetes-admin' },
    ]),
    [
      { oid: NAME_ATTRIBUTE_OID.O, tag: DER_TAG.printableString, value: 'system:masters' },
      { oid: NAME_ATTRIBUTE_OID.O, tag: DER_TAG.printableString, value: 'system:nodes' },
      { oid: NAME_ATTRIBUTE_OID.CN, tag: DER_TAG.printableString, value: 'kubernetes-admin' },
    ],
    'repeated O kept in order, CN last',
  );
  t.same(attributes([{ type: 'CN', value: 'node_0' }]), [{ oid: '2.5.4.3', tag: DER_TAG.utf8String, value: 'node_0' }]);
  t.same(attributes([{ type: 'CN', value: 'Zürich' }]), [{ oid: '2.5.4.3', tag: DER_TAG.utf8String, value: 'Zürich' }]);
  t.equal(encodeName([]).toString('hex'), '3000', 'an empty name is an empty SEQUENCE');
  t.equal(
    encodeName([{ type: 'CN', value: 'kubernetes' }]).toString('hex'),
    '3015311330110603550403130a6b756265726e65746573',
    'the bytes our earlier CA certificates carried',
  );
  t.end();
});

t.test('refused: empty and over-long values, unknown attribute types', (t) => {
  const invalid = { constructor: InputError, code: 'INVALID_ARGUMENT' };
  t.throws(() => encodeName([{ type: 'CN', value: '' }]), invalid);
  t.throws(() => encodeName([{ type: 'O', value: 'x'.repeat(65) }]), invalid);
  t.ok(encodeName([{ type: 'O', value: 'x'.repeat(64) }]).length > 64, '64 characters is the bound');
  t.throws(() => encodeName([{ type: 'OU' as 'O', value: 'x' }]), invalid);
  t.throws(() => encodeName([{ type: 'toString' as 'O', value: 'x' }]), invalid, 'no prototype keys');
  t.end();
});
