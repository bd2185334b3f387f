// The KMS's logs in a real systemd-journald: journald runs in a private mount namespace (unshare; the host's /run
// is untouched) and the KMS runs under systemd-cat with --log-transport journald, so journald parses our `<N>`
// prefixes (SyslogLevelPrefix) into PRIORITY. Checks priorities, fields in MESSAGE and that no secret is there.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repo = new URL('../../../', import.meta.url).pathname;

// Runs inside `unshare -m`: private tmpfs on /run/systemd and /run/log, a journald, the KMS under systemd-cat.
const SCRIPT = String.raw`
set -eu
mount -t tmpfs none /run/systemd 2>/dev/null || { mkdir -p /run/systemd; mount -t tmpfs none /run/systemd; }
mkdir -p /run/log && mount -t tmpfs none /run/log && mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald & JP=$!
trap 'kill $JP 2>/dev/null || true; kill -9 $KP 2>/dev/null || true' EXIT
KP=
for i in $(seq 1 200); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done
journal() { journalctl -D /run/log/journal --no-pager -o "$1" -t constellation-kms; }
systemd-cat -t constellation-kms --level-prefix=true node --import tsx agents/kms/main.ts \
  --listen 127.0.0.1:0 --master-secret-file "$1" --log-transport journald & KP=$!
for i in $(seq 1 600); do journal cat | grep -q 'serving KeyService' && break; sleep 0.05; done
kill -TERM $KP; set +e; wait $KP; echo "KMS_EXIT=$?" >&2; set -e
for i in $(seq 1 200); do journal cat | grep -q 'shutting down' && break; sleep 0.05; done
journal json
echo '---'
# The same agent with the native protocol: one datagram per entry, fields as journal fields.
node --import tsx agents/kms/main.ts --listen 127.0.0.1:0 --master-secret-file "$1" --log-transport journald-native \
  >/dev/null & KP=$!
native() { journalctl -D /run/log/journal --no-pager -o "$1" SYSLOG_IDENTIFIER=kms; }
for i in $(seq 1 600); do native cat | grep -q 'serving KeyService' && break; sleep 0.05; done
kill -TERM $KP; set +e; wait $KP; echo "NATIVE_EXIT=$?" >&2; set -e
for i in $(seq 1 200); do native cat | grep -q 'shutting down' && break; sleep 0.05; done
native json
`;

// One run of the script (a journald, the KMS once per transport) shared by both tests; its temp dir is removed
// when the test file ends.
const journaldRun = (async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kms-journald-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missingSecret = join(dir, 'constellation-mastersecret.json');
  const { stdout, stderr } = await promisify(execFile)(
    'unshare',
    ['-m', '--propagation', 'private', 'bash', '-c', SCRIPT, 'journald-test', missingSecret],
    { cwd: repo, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return { stdout, stderr, missingSecret };
})();

t.test('KMS log lines reach journald with their priorities and fields', async (t) => {
  const { stdout, stderr, missingSecret } = await journaldRun;
  t.match(stderr, /KMS_EXIT=0/, 'SIGTERM exits 0');
  const [streamPart = ''] = stdout.split('---\n');
  const entries = streamPart
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { PRIORITY?: string; MESSAGE?: string; SYSLOG_IDENTIFIER?: string });
  const find = (text: string) => entries.find((entry) => entry.MESSAGE?.includes(text));
  const waiting = find('serving without a master secret');
  t.equal(waiting?.PRIORITY, '4', 'warn → priority 4');
  t.match(waiting?.MESSAGE, `kms: serving without a master secret until the file appears file=${missingSecret}`);
  t.match(waiting?.MESSAGE, /"code":"NO_MASTER_SECRET"/);
  t.equal(find('serving KeyService')?.PRIORITY, '6', 'info → priority 6');
  t.equal(find('shutting down')?.PRIORITY, '6');
  t.match(find('shutting down')?.MESSAGE, /signal=SIGTERM/);
  t.notOk(
    entries.some((entry) => /^<\d>/.test(entry.MESSAGE ?? '')),
    'no unparsed priority prefix left in a message',
  );
});

interface NativeEntry {
  PRIORITY?: string;
  MESSAGE?: string;
  LOGGER?: string;
  FILE?: string;
  LISTEN?: string;
  SIGNAL?: string;
}

t.test('with --log-transport journald-native every field is a journal field', async (t) => {
  const { stdout, stderr, missingSecret } = await journaldRun;
  t.match(stderr, /NATIVE_EXIT=0/);
  const entries = (stdout.split('---\n')[1] ?? '')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as NativeEntry);
  const find = (text: string) => entries.find((entry) => entry.MESSAGE === text);
  t.match(find('serving without a master secret until the file appears'), {
    PRIORITY: '4',
    LOGGER: 'kms',
    FILE: missingSecret,
  });
  t.match(find('serving KeyService'), { PRIORITY: '6', LISTEN: /^127\.0\.0\.1:\d+$/ });
  t.match(find('shutting down'), { PRIORITY: '6', SIGNAL: 'SIGTERM' });
});
