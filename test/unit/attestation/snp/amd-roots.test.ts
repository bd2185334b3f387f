import t from 'tap';
import { createHash } from 'node:crypto';
import { VerificationError } from '../../../../lib/errors.js';
import { AMD_CERT_CHAINS, AMD_CERT_CHAIN_SOURCES } from '../../../../lib/attestation/snp/amd-roots.js';
import { verifyAmdChain } from '../../../../lib/attestation/snp/amd-chain.js';
import { certificatesFromPem } from '../../../../lib/attestation/snp/amd-certificate.js';
import { SNP_PRODUCTS } from '../../../../lib/attestation/snp/snp-product.js';
import { amdChain, vectorText } from './snp-vectors.js';

const ARK_FINGERPRINTS = {
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  Genoa: '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  Turin: '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
} as const;

// VLEK chains are checked at the times the notes suggest for VLEK material, plus a time far in their validity.
const TIMES = ['2024-01-01T00:00:00Z', '2024-12-01T00:00:00Z', '2025-06-01T00:00:00Z', '2040-01-01T00:00:00Z'].map(
  (s) => new Date(s),
);

t.test('shipped chains equal the vector files byte for byte', (t) => {
  for (const product of SNP_PRODUCTS) {
    for (const kind of ['vcek', 'vlek'] as const) {
      t.equal(AMD_CERT_CHAINS[product][kind], amdChain(AMD_CERT_CHAIN_SOURCES[product][kind]), `${product} ${kind}`);
    }
  }
  t.end();
});

t.test('shipped ARKs are the published roots, also equal to virtee single PEMs', (t) => {
  for (const product of SNP_PRODUCTS) {
    const [ask, ark] = certificatesFromPem(AMD_CERT_CHAINS[product].vcek);
    t.equal(createHash('sha256').update(ark!).digest('hex'), ARK_FINGERPRINTS[product], `${product} ARK`);
    const lower = product.toLowerCase();
    t.same(certificatesFromPem(vectorText(`sev-snp/amd-roots/virtee_${lower}_ark.pem`)), [ark]);
    t.same(certificatesFromPem(vectorText(`sev-snp/amd-roots/virtee_${lower}_ask.pem`)), [ask]);
    t.same(certificatesFromPem(AMD_CERT_CHAINS[product].vlek)[1], ark, `${product} VLEK chain has the same ARK`);
  }
  t.end();
});

t.test('every AMD chain (ASK and ASVK) verifies at every test time', (t) => {
  for (const product of SNP_PRODUCTS) {
    for (const kind of ['vcek', 'vlek'] as const) {
      for (const now of TIMES) {
        const chain = verifyAmdChain({ chain: AMD_CERT_CHAINS[product][kind], now });
        t.equal(chain.product, product);
        t.equal(chain.kind, kind);
        t.equal(chain.ark.subjectCommonName, `ARK-${product}`);
      }
      // Without a chain, the shipped one for the product is used.
      t.equal(
        verifyAmdChain({ product, kind, now: TIMES[0]! }).intermediate.subjectCommonName,
        kind === 'vcek' ? `SEV-${product}` : `SEV-VLEK-${product}`,
      );
    }
  }
  t.end();
});

t.test('chain failures: one property varied per case', (t) => {
  const now = TIMES[0]!;
  const [milanAsk, milanArk] = certificatesFromPem(AMD_CERT_CHAINS.Milan.vcek);
  const [genoaAsk] = certificatesFromPem(AMD_CERT_CHAINS.Genoa.vcek);
  const pem = (...ders: Buffer[]): string =>
    ders.map((d) => `-----BEGIN CERTIFICATE-----\n${d.toString('base64')}\n-----END CERTIFICATE-----\n`).join('');
  const flippedArkSignature = Buffer.from(milanArk!);
  flippedArkSignature[flippedArkSignature.length - 5]! ^= 0x01;
  const cases: [string, Parameters<typeof verifyAmdChain>[0], string][] = [
    ['wrong product asked', { chain: AMD_CERT_CHAINS.Milan.vcek, product: 'Genoa', now }, 'SNP_CHAIN_INVALID'],
    ['ASVK where ASK is needed', { chain: AMD_CERT_CHAINS.Milan.vlek, kind: 'vcek', now }, 'SNP_CHAIN_INVALID'],
    ['Genoa ASK under Milan ARK', { chain: pem(genoaAsk!, milanArk!), now }, 'SNP_CHAIN_INVALID'],
    ['ARK alone', { chain: pem(milanArk!), now }, 'SNP_CHAIN_INVALID'],
    ['three certificates', { chain: pem(milanAsk!, milanAsk!, milanArk!), now }, 'SNP_CHAIN_INVALID'],
    ['no ARK', { chain: pem(milanAsk!, genoaAsk!), now }, 'SNP_ROOT_UNTRUSTED'],
    ['ARK signature flipped', { chain: pem(milanAsk!, flippedArkSignature), now }, 'SNP_ROOT_UNTRUSTED'],
    [
      'ARK not trusted',
      {
        chain: AMD_CERT_CHAINS.Milan.vcek,
        now,
        trustedRoots: { Genoa: pem(certificatesFromPem(AMD_CERT_CHAINS.Genoa.vcek)[1]!) },
      },
      'SNP_ROOT_UNTRUSTED',
    ],
    ['expired', { chain: AMD_CERT_CHAINS.Milan.vcek, now: new Date('2046-01-01T00:00:00Z') }, 'SNP_CERT_EXPIRED'],
    [
      'not yet valid',
      { chain: AMD_CERT_CHAINS.Milan.vcek, now: new Date('2019-01-01T00:00:00Z') },
      'SNP_CERT_NOT_YET_VALID',
    ],
  ];
  for (const [name, options, code] of cases) {
    t.throws(() => verifyAmdChain(options), { constructor: VerificationError, code }, name);
  }
  t.end();
});
