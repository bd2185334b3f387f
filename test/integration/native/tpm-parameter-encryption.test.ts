import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { swtpmFor } from '../../helpers/swtpm.js';
import { Tpm } from '../../../native/tpm.js';
import { makeCredential } from './tpm2-tools.js';

// The pcap TCTI records every command and response; the secret must not appear in it while seal/unseal run,
// but it must appear when written to NV without encryption (which proves the capture sees plaintext).
t.test('seal and unseal do not put the secret on the TPM interface in the clear', async (t) => {
  const swtpm = await swtpmFor(t);
  const dir = await mkdtemp(join(tmpdir(), 'pcap-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const capture = join(dir, 'tpm.pcap');
  process.env.TCTI_PCAP_FILE = capture;
  const tpm = await Tpm.open(`pcap:${swtpm.tcti}`);
  t.teardown(() => tpm.close());

  const secret = Buffer.from('7c5e0d1a-unmistakable-secret-4f2b9e83');
  const sealed = await tpm.seal(secret, { sha256: [7] });
  t.equal((await tpm.unseal(sealed, { sha256: [7] })).toString(), secret.toString(), 'round trip');
  const afterSealing = await readFile(capture);
  t.ok(afterSealing.length > 1000, 'commands were captured');
  t.notOk(afterSealing.includes(secret), 'the secret is not in the capture');

  await tpm.nvDefine(0x01500030, secret.length);
  await tpm.nvWrite(0x01500030, secret);
  t.ok((await readFile(capture)).includes(secret), 'an unencrypted NV write is visible (the capture works)');
});

t.test('activateCredential does not put the released credential on the TPM interface in the clear', async (t) => {
  const swtpm = await swtpmFor(t);
  const dir = await mkdtemp(join(tmpdir(), 'pcap-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const capture = join(dir, 'tpm.pcap');
  process.env.TCTI_PCAP_FILE = capture;
  const tpm = await Tpm.open(`pcap:${swtpm.tcti}`);
  t.teardown(() => tpm.close());

  const ek = await tpm.createEk('rsa');
  const ak = await tpm.createAk('ecc');
  const secret = Buffer.from('a3f1-credential-secret-9d2c');
  const { credentialBlob, secret: encrypted } = await makeCredential(t, ek, ak.name, secret);
  t.equal((await tpm.activateCredential(ak, ek, credentialBlob, encrypted)).toString(), secret.toString());
  t.notOk((await readFile(capture)).includes(secret), 'the credential is not in the capture');
});
