// RecoverService over a real attested socket with a real (directory) state disk: a master secret is accepted
// only if the key it derives opens this disk; a wrong one is FAILED_PRECONDITION and the node keeps waiting.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { auditLog, createLogger } from '../../../lib/log/index.js';
import { deriveDiskKey, deriveMeasurementSecret, generateMasterSecret } from '../../../lib/crypto/index.js';
import { directoryStateDisk } from '../../../lib/disk/index.js';
import { Tpm } from '../../../native/tpm.js';
import { RecoverServiceService } from '../../../proto/gen/recover.js';
import { startAttestedServer } from '../../../agents/bootstrapper/attested-server.js';
import { DiskUnlock } from '../../../agents/bootstrapper/disk-unlock.js';
import { loadNodeKeys, nodeAttestation } from '../../../agents/bootstrapper/node-attestation.js';
import { recoverService } from '../../../agents/bootstrapper/recover-service.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';
import { callRecover } from './attested-client.js';

t.test('wrong master secret refused (node keeps waiting), right one unlocks once', async (t) => {
  const masterSecret = generateMasterSecret();
  const dir = t.testdir();
  const first = directoryStateDisk({ dir });
  const { uuid } = await first.prepareNew();
  await first.bindClusterKey(deriveDiskKey(masterSecret, uuid), {
    measurementSalt: randomBytes(32),
    clusterId: randomBytes(32),
  });
  await first.close();
  const disk = directoryStateDisk({ dir });
  t.match(await disk.probe(), { status: 'initialized', uuid });

  const swtpm = await swtpmFor(t, { withEkCert: true, pcrBanks: ['sha256'] });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const ca = await testCa();
  const trust = {
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
    pcr15: Buffer.alloc(32),
  };
  const lines: string[] = [];
  const logger = createLogger({ name: 'bootstrapper', transport: 'stderr-json', write: (line) => lines.push(line) });
  const unlock = new DiskUnlock(disk);
  const attestation = nodeAttestation(tpm, await loadNodeKeys(tpm), '/nonexistent/binary_bios_measurements');
  const server = await startAttestedServer({
    listen: { host: '127.0.0.1', port: 0 },
    service: RecoverServiceService,
    implementation: recoverService({ diskUuid: uuid, nodeName: 'cp-0', unlock, audit: auditLog(logger) }),
    attestation,
  });
  t.teardown(async () => {
    await server.close(100);
    await attestation.close();
    await disk.close();
  });

  const wrong = generateMasterSecret();
  const refused = await callRecover(server.address, trust, { masterKey: wrong.key, masterSalt: wrong.salt });
  t.equal(refused.error?.code, status.FAILED_PRECONDITION);
  t.match(refused.error?.details, /^RECOVERY_KEY_REJECTED/);
  t.equal(unlock.isUnlocked, false, 'still waiting');

  const malformed = await callRecover(server.address, trust, { masterKey: randomBytes(4), masterSalt: wrong.salt });
  t.equal(malformed.error?.code, status.INVALID_ARGUMENT);
  t.equal(unlock.isUnlocked, false);

  const accepted = await callRecover(server.address, trust, {
    masterKey: masterSecret.key,
    masterSalt: masterSecret.salt,
  });
  t.same(accepted.response, { nodeName: 'cp-0' });
  const unlocked = await unlock.unlocked;
  t.equal(unlocked.via, 'recovery');
  t.same(unlocked.measurementSecret, deriveMeasurementSecret(masterSecret));

  const again = await callRecover(server.address, trust, {
    masterKey: masterSecret.key,
    masterSalt: masterSecret.salt,
  });
  t.equal(again.error?.code, status.FAILED_PRECONDITION);
  t.match(again.error?.details, /^NODE_ALREADY_RECOVERED/);

  const log = lines.join('\n');
  for (const secret of [masterSecret.key, masterSecret.salt, wrong.key]) {
    t.notMatch(log, secret.toString('base64'));
    t.notMatch(log, secret.toString('hex'));
  }
  t.equal(lines.filter((line) => line.includes('"audit":true')).length, 4, 'one audit line per decision');
});
