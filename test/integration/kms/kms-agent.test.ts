// The KMS as a real process (node --import tsx agents/kms/main.ts) called over real gRPC on loopback, with a real
// AF_UNIX socket standing in for systemd's NOTIFY_SOCKET. Known answers come from
// test/unit/crypto/fixtures/hkdf-kat.json (computed with Python's hmac/hashlib).
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { writeMasterSecret } from '../../../lib/crypto/index.js';
import { DatagramReceiver } from '../../../native/sd-notify.js';
import { KeyServiceClient, type GetDataKeyResponse } from '../../../proto/gen/kms.js';

const repo = new URL('../../../', import.meta.url).pathname;
const kat = JSON.parse(
  await readFile(new URL('../../unit/crypto/fixtures/hkdf-kat.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const knownSecret = { key: Buffer.from(kat.masterKey!, 'hex'), salt: Buffer.from(kat.masterSalt!, 'hex') };

interface Kms {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

async function tempDir(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kms-it-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function spawnKms(t: Pick<Test, 'teardown'>, args: string[], env: NodeJS.ProcessEnv = {}): Kms {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agents/kms/main.ts', ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stderr, exited };
}

/** Resolves with the address from the first stdout line {"listening":"host:port"}. */
async function listening(kms: Kms): Promise<string> {
  const lines = createInterface({ input: kms.child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    kms.exited.then((code) => {
      throw new Error(`kms exited with ${String(code)} before listening: ${kms.stderr.join('')}`);
    }),
  ]);
  lines.close();
  return (JSON.parse(first) as { listening: string }).listening;
}

function client(t: Pick<Test, 'teardown'>, address: string) {
  const kmsClient = new KeyServiceClient(address, credentials.createInsecure());
  t.teardown(() => {
    kmsClient.close();
  });
  return (dataKeyId: string, length: number) =>
    new Promise<GetDataKeyResponse>((resolve, reject) => {
      kmsClient.getDataKey({ dataKeyId, length }, (error: ServiceError | null, response) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
}

t.test('refuses without a master secret, then serves documented HKDF keys once the file appears', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'constellation-mastersecret.json');
  const kms = spawnKms(t, ['--listen', '127.0.0.1:0', '--master-secret-file', file, '--log-transport', 'stderr-json']);
  const address = await listening(kms);
  t.match(address, /^127\.0\.0\.1:\d+$/);
  const getDataKey = client(t, address);

  await t.rejects(getDataKey('csi-volume-1', 64), {
    code: status.FAILED_PRECONDITION,
    details: `NO_MASTER_SECRET: no master secret loaded: expected ${file}, found no file there yet`,
  });
  await t.rejects(getDataKey('csi-volume-1', 64), { code: status.FAILED_PRECONDITION }, 'still refused');

  await writeMasterSecret(file, knownSecret);
  const first = await getDataKey('csi-volume-1', 64);
  t.equal(first.dataKey.toString('hex'), kat.dataKey64, 'HKDF(master key, master salt, "key-csi-volume-1", 64)');
  const again = await getDataKey('csi-volume-1', 64);
  t.same(again.dataKey, first.dataKey, 'deterministic for the same id');
  t.equal((await getDataKey(kat.diskUuid!, 32)).dataKey.toString('hex'), kat.diskKey, 'disk key of the KAT');
  t.equal((await getDataKey('measurementSecret', 32)).dataKey.toString('hex'), kat.measurementSecret);
  t.equal((await getDataKey('x', 4096)).dataKey.length, 4096);

  const badRequests: [string, number, RegExp][] = [
    ['', 32, /data_key_id/],
    ['a'.repeat(257), 32, /data_key_id/],
    ['bad\nid', 32, /data_key_id/],
    ['csi', 0, /length/],
    ['csi', 4097, /length/],
  ];
  for (const [id, length, details] of badRequests) {
    await t.rejects(getDataKey(id, length), { code: status.INVALID_ARGUMENT, details }, `${id.slice(0, 8)}/${length}`);
  }

  const logs = kms.stderr.join('');
  for (const secretHex of [kat.dataKey64!, kat.masterKey!, kat.diskKey!]) {
    t.notOk(logs.includes(secretHex), 'no key material in the logs');
  }
  t.notOk(logs.includes(knownSecret.key.toString('base64')), 'no master key in the logs');
});

t.test('READY=1 to NOTIFY_SOCKET; SIGTERM sends STOPPING=1 and exits 0', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ms.json');
  await writeMasterSecret(file, knownSecret);
  const receiver = DatagramReceiver.bind(join(dir, 'notify.sock'));
  t.teardown(() => {
    receiver.close();
  });
  const kms = spawnKms(t, ['--listen', '127.0.0.1:0'], { KMS_MASTER_SECRET_FILE: file, NOTIFY_SOCKET: receiver.path });
  const address = await listening(kms);
  t.match((await receiver.receive())?.toString(), /^READY=1\nSTATUS=serving on 127\.0\.0\.1:\d+\n$/);
  t.equal((await client(t, address)('csi-volume-1', 64)).dataKey.toString('hex'), kat.dataKey64);
  kms.child.kill('SIGTERM');
  t.equal((await receiver.receive())?.toString(), 'STOPPING=1\n');
  t.equal(await kms.exited, 0);
});

t.test('a non-loopback listen address is refused at start with exit code 2', async (t) => {
  const dir = await tempDir(t);
  for (const listen of ['0.0.0.0:0', '10.1.2.3:9000', '[::]:0']) {
    const kms = spawnKms(t, ['--listen', listen, '--master-secret-file', join(dir, 'ms.json')]);
    t.equal(await kms.exited, 2, listen);
    t.match(kms.stderr.join(''), /--listen: expected a loopback address/, listen);
  }
});
