import t from 'tap';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../cli/main.js';
import { runAttestationVerify } from '../../../cli/commands/attestation-verify.js';
import { ExitCode, exitCodeForError } from '../../../cli/exit-codes.js';
import { reportError } from '../../../cli/error-report.js';
import { UsageError } from '../../../cli/usage-error.js';
import { ConstellationError, InputError, PolicyError, TpmError, VerificationError } from '../../../lib/errors.js';
import { fakeIo } from './fake-io.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

t.test('exit code by error class', (t) => {
  t.equal(exitCodeForError(new PolicyError('POLICY_VIOLATION', 'x')), 4);
  t.equal(exitCodeForError(new VerificationError('QUOTE_SIGNATURE_INVALID', 'x')), 3);
  t.equal(exitCodeForError(new InputError('DOCUMENT_INVALID', 'x')), 2);
  t.equal(exitCodeForError(new UsageError('x')), 2);
  t.equal(exitCodeForError(new TpmError('TPM_RC', 'x')), 1);
  t.equal(exitCodeForError(new ConstellationError('X', 'x')), 1);
  t.equal(exitCodeForError(new TypeError('x')), 1);
  t.equal(exitCodeForError('a string'), 1);
  t.end();
});

t.test('error report: one line per class, stack only with CONSTELLATION_DEBUG=1', (t) => {
  const io = fakeIo();
  t.equal(reportError(io, new VerificationError('SNP_SIGNATURE_INVALID', 'bad signature')), 3);
  t.equal(io.err(), 'error: verification failed (SNP_SIGNATURE_INVALID): bad signature\n');

  const policy = fakeIo();
  t.equal(
    reportError(policy, new PolicyError('POLICY_VIOLATION', 'm', ['PCR[4] (sha256) expected 3d45…, got 9a1c…'])),
    4,
  );
  t.match(
    policy.err(),
    /^error: policy rejected the evidence \(POLICY_VIOLATION\):\n {2}- PCR\[4\] \(sha256\) expected 3d45…, got 9a1c…\n$/,
  );

  const internal = fakeIo();
  t.equal(reportError(internal, new TypeError('boom')), 1);
  t.match(internal.err(), /unexpected internal error: boom\nThis is a bug\. Re-run with CONSTELLATION_DEBUG=1/);
  t.notMatch(internal.err(), /at /);
  const debug = fakeIo({ env: { CONSTELLATION_DEBUG: '1' } });
  reportError(debug, new TypeError('boom'));
  t.match(debug.err(), /TypeError: boom\n\s+at /);

  const usage = fakeIo();
  t.equal(reportError(usage, new UsageError('Expected X for --y but received z'), 'constellation x --help'), 2);
  t.equal(usage.err(), "error: Expected X for --y but received z\n(run 'constellation x --help' for usage)\n");
  t.end();
});

t.test('in-process runs: help, usage errors, and no process.exit', async (t) => {
  const help = fakeIo();
  t.equal(await runCli(['--help'], help), ExitCode.OK);
  t.match(help.out(), /Usage: constellation <command> \[options\]/);
  t.match(help.out(), /Exit codes:/);

  const unknown = fakeIo();
  t.equal(await runCli(['nonsense'], unknown), ExitCode.USAGE);
  t.match(unknown.err(), /unknown command 'nonsense'/);

  const missing = fakeIo();
  t.equal(await runCli(['attestation', 'verify', '--any-nonce'], missing), ExitCode.USAGE);
  t.match(missing.err(), /Expected one evidence input/);
});

t.test('progress goes to stderr only on a terminal; the table only on a terminal', async (t) => {
  const args = [
    'attestation',
    'verify',
    '--snp-report',
    `${VECTORS}sev-snp/virtee-sev/report_milan.bin`,
    '--signer-cert',
    `${VECTORS}sev-snp/virtee-sev/vcek_milan.der`,
    '--any-nonce',
  ];
  const pipe = fakeIo();
  t.equal(await runCli(args, pipe), ExitCode.OK, pipe.err());
  t.equal(pipe.err(), '', 'nothing on stderr when not a terminal');
  t.match(pipe.out(), /^status: verified\n/);

  const tty = fakeIo({ tty: true });
  t.equal(await runCli(args, tty), ExitCode.OK);
  t.match(tty.err(), /^Verifying SEV-SNP report…\n$/);
  t.ok(tty.out().includes('\u001b[32m✓ verified and within policy'), 'green banner');
  t.ok(tty.out().includes('  \u001b[2mproduct'), 'dimmed label');
  t.match(tty.out(), /product +\S+ {2}Milan-B0$/m);

  const noColor = fakeIo({ tty: true, env: { NO_COLOR: '1' } });
  t.equal(await runCli(args, noColor), ExitCode.OK);
  t.notOk(noColor.out().includes('\u001b'), 'NO_COLOR disables colour');
  t.match(noColor.out(), /^✓ verified and within policy/);

  const json = fakeIo({ tty: true });
  t.equal(await runCli([...args, '--output', 'json'], json), ExitCode.OK);
  t.equal(json.err(), '', 'no progress line with --output json');
});

t.test('an unexpected failure inside the command is exit 1, never a crash', async (t) => {
  const io = fakeIo();
  const code = await runAttestationVerify({ document: 'x', anyNonce: true }, io, () => {
    throw new TypeError('clock broke');
  });
  t.equal(code, ExitCode.ERROR);
  t.match(io.err(), /unexpected internal error: clock broke/);
});
