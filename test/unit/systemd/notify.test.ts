// sd_notify against a real AF_UNIX datagram socket standing in for systemd (bound with the native receiver),
// at a filesystem path and at an abstract name.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DatagramReceiver, sendDatagram } from '../../../native/sd-notify.js';
import { notify, notifyReady, notifyStopping } from '../../../lib/systemd/index.js';

async function receiverAt(t: Pick<Test, 'teardown'>, abstract: boolean): Promise<DatagramReceiver> {
  let path: string;
  if (abstract) {
    path = `@constellation-test-${randomBytes(8).toString('hex')}`;
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'sd-notify-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    path = join(dir, 'notify.sock');
  }
  const receiver = DatagramReceiver.bind(path);
  t.teardown(() => {
    receiver.close();
  });
  return receiver;
}

for (const abstract of [false, true]) {
  t.test(`READY=1 and STOPPING=1 reach a ${abstract ? 'abstract' : 'path'} socket`, async (t) => {
    const receiver = await receiverAt(t, abstract);
    const env = { NOTIFY_SOCKET: receiver.path };
    t.equal(await notifyReady(undefined, { env }), true);
    t.equal((await receiver.receive())?.toString(), 'READY=1\n');
    t.equal(await notifyReady('serving on 127.0.0.1:9000', { env }), true);
    t.equal((await receiver.receive())?.toString(), 'READY=1\nSTATUS=serving on 127.0.0.1:9000\n');
    t.equal(await notifyStopping({ env }), true);
    t.equal((await receiver.receive())?.toString(), 'STOPPING=1\n');
  });
}

t.test('without NOTIFY_SOCKET nothing is sent and false is returned', async (t) => {
  t.equal(await notifyReady(undefined, { env: {} }), false);
  t.equal(await notifyStopping({ env: { NOTIFY_SOCKET: '' } }), false);
});

t.test(
  'a notification from another process (python3 sends like systemd-notify) is received byte-exactly',
  async (t) => {
    const receiver = await receiverAt(t, false);
    const script =
      'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"READY=1\\nMAINPID=1\\n", sys.argv[1])';
    await promisify(execFile)('python3', ['-c', script, receiver.path]);
    t.equal((await receiver.receive())?.toString(), 'READY=1\nMAINPID=1\n');
  },
);

t.test('bad keys, values and socket paths are refused; a missing socket is DATAGRAM_SOCKET_FAILED', async (t) => {
  const env = { NOTIFY_SOCKET: '/nonexistent/notify.sock' };
  await t.rejects(notify({ ready: '1' }, { env }), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  await t.rejects(notify({ STATUS: 'a\nREADY=1' }, { env }), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  await t.rejects(notifyReady(undefined, { env: { NOTIFY_SOCKET: 'relative.sock' } }), {
    name: 'InputError',
    code: 'INVALID_ARGUMENT',
  });
  await t.rejects(sendDatagram(`/${'x'.repeat(200)}`, Buffer.from('x')), { code: 'INVALID_ARGUMENT' });
  const error = await notifyReady(undefined, { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(error, { name: 'DatagramSocketError', code: 'DATAGRAM_SOCKET_FAILED', syscall: 'sendto' });
  t.match(String((error as Error).stack), /notify\.test\.ts/, 'keeps the caller stack');
});

t.test('receive resolves null when nothing arrives, and a closed receiver refuses', async (t) => {
  const receiver = await receiverAt(t, true);
  t.equal(await receiver.receive({ timeoutMs: 0 }), null);
  receiver.close();
  await t.rejects(receiver.receive(), { code: 'DATAGRAM_SOCKET_CLOSED' });
});
