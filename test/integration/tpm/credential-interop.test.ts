// Our makeCredential output, in tpm2-tools' credential file format, activated by a swtpm through
// tpm2_activatecredential (RSA and ECC EKs from tpm2_createek's default templates).
import t from 'tap';
import { makeCredential } from '../../../lib/tpm/make-credential.js';
import { objectName } from '../../../lib/tpm/object-name.js';
import { parsePublic, parsePublic2B } from '../../../lib/tpm/public-area.js';
import { swtpmFor } from '../../helpers/swtpm.js';
import { Tpm2Tools, credentialFile } from './tpm2-tools.js';

const CREDENTIAL = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');

async function ekAndAk(tools: Tpm2Tools, ekAlg: 'rsa' | 'ecc'): Promise<{ ekPublic: Buffer; akName: Buffer }> {
  await tools.exec('tpm2_createek', ['-c', 'ek.ctx', '-G', ekAlg, '-u', 'ek.pub']);
  await tools.exec('tpm2_createak', [
    '-C',
    'ek.ctx',
    '-c',
    'ak.ctx',
    '-G',
    'ecc',
    '-g',
    'sha256',
    '-s',
    'ecdsa',
    '-u',
    'ak.pub',
    '-f',
    'tpmt',
  ]);
  return { ekPublic: await tools.read('ek.pub'), akName: objectName(parsePublic(await tools.read('ak.pub'))) };
}

/**
 * TPM2_ActivateCredential. tpm2_createek's EKs need the PolicySecret(endorsement) session tpm2-tools
 * documents; swtpm_setup's EKs have userWithAuth set, so their (empty) password works.
 */
async function activate(
  tools: Tpm2Tools,
  credential: Buffer,
  ek = 'ek.ctx',
  ekAuth: 'policy' | 'password' = 'policy',
): Promise<Buffer> {
  await tools.write('cred.bin', credential);
  const args = ['-c', 'ak.ctx', '-C', ek, '-i', 'cred.bin', '-o', 'recovered.bin'];
  if (ekAuth === 'password') {
    await tools.exec('tpm2_activatecredential', args);
    return tools.read('recovered.bin');
  }
  await tools.exec('tpm2_startauthsession', ['--policy-session', '-S', 'session.ctx']);
  try {
    await tools.exec('tpm2_policysecret', ['-S', 'session.ctx', '-c', 'e']);
    await tools.exec('tpm2_activatecredential', [...args, '-P', 'session:session.ctx']);
    return await tools.read('recovered.bin');
  } finally {
    await tools.exec('tpm2_flushcontext', ['session.ctx']).catch(() => undefined);
  }
}

for (const ekAlg of ['rsa', 'ecc'] as const) {
  t.test(`${ekAlg.toUpperCase()} EK: the TPM recovers our credential for its AK`, async (t) => {
    const tools = await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti);
    const { ekPublic, akName } = await ekAndAk(tools, ekAlg);
    const ek = parsePublic2B(ekPublic);
    t.equal(ek.type, ekAlg);
    const made = makeCredential(ek, akName, CREDENTIAL);
    t.same(await activate(tools, credentialFile(made.credentialBlob, made.secret)), CREDENTIAL);
  });

  t.test(`${ekAlg.toUpperCase()} EK: a credential bound to another TPM's AK name fails activation`, async (t) => {
    const tools = await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti);
    const other = await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti);
    const { ekPublic } = await ekAndAk(tools, ekAlg);
    const { akName: otherAkName } = await ekAndAk(other, 'rsa');
    const made = makeCredential(parsePublic2B(ekPublic), otherAkName, CREDENTIAL);
    await t.rejects(activate(tools, credentialFile(made.credentialBlob, made.secret)), { message: /integrity/i });
  });
}

t.test('tpm2_makecredential (tcti none) writes the same file layout and sizes as ours', async (t) => {
  const tools = await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti);
  const { ekPublic, akName } = await ekAndAk(tools, 'rsa');
  await tools.write('secret.bin', CREDENTIAL);
  await tools.exec('tpm2_makecredential', [
    '-T',
    'none',
    '-u',
    'ek.pub',
    '-s',
    'secret.bin',
    '-n',
    akName.toString('hex'),
    '-o',
    'tool-cred.bin',
  ]);
  const theirs = await tools.read('tool-cred.bin');
  const made = makeCredential(parsePublic2B(ekPublic), akName, CREDENTIAL);
  const ours = credentialFile(made.credentialBlob, made.secret);
  t.equal(ours.length, theirs.length);
  t.same(ours.subarray(0, 10), theirs.subarray(0, 10), 'header and TPM2B_ID_OBJECT size');
  t.same(await activate(tools, theirs), CREDENTIAL, 'the tool-made credential activates too');
});

t.test('ECC P-384 EK provisioned by swtpm_setup (high-range template, SHA-384 name, AES-256)', async (t) => {
  const tools = await Tpm2Tools.forTest(t, (await swtpmFor(t, { withEkCert: true })).tcti);
  const handle = '0x81010016';
  await tools.exec('tpm2_readpublic', ['-c', handle, '-o', 'ek.pub']);
  await tools.exec('tpm2_createak', [
    '-C',
    handle,
    '-c',
    'ak.ctx',
    '-G',
    'ecc',
    '-g',
    'sha256',
    '-s',
    'ecdsa',
    '-u',
    'ak.pub',
    '-f',
    'tpmt',
  ]);
  const ek = parsePublic2B(await tools.read('ek.pub'));
  t.equal(ek.type === 'ecc' ? ek.curve : ek.type, 'P-384');
  t.equal(ek.symmetric?.keyBits, 256);
  const made = makeCredential(ek, objectName(parsePublic(await tools.read('ak.pub'))), CREDENTIAL);
  t.same(await activate(tools, credentialFile(made.credentialBlob, made.secret), handle, 'password'), CREDENTIAL);
});
