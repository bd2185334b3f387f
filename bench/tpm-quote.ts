// Quote latency through the native addon vs. spawning tpm2_quote, against the same swtpm.
// Run: node --import tsx bench/tpm-quote.ts   (target: addon median ≤ 1/10 of tpm2_quote)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { startSwtpm } from '../lib/swtpm/swtpm-process.js';
import { Tpm } from '../native/tpm.js';

const run = promisify(execFile);
const ADDON_QUOTES = 200;
const CLI_QUOTES = 30;
const PCRS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

process.env.TSS2_LOG ??= 'all+NONE';
const swtpm = await startSwtpm();
const work = await mkdtemp(join(tmpdir(), 'bench-quote-'));
try {
  const tpm = await Tpm.open(swtpm.tcti);
  const ak = await tpm.createAk('ecc');
  await tpm.quote(ak, { sha256: PCRS }, randomBytes(32)); // warm-up
  const addon: number[] = [];
  for (let i = 0; i < ADDON_QUOTES; i++)
    addon.push(await timed(() => tpm.quote(ak, { sha256: PCRS }, randomBytes(32))));
  await tpm.flush(ak);
  await tpm.close(); // swtpm serves one client at a time

  const env = { ...process.env, TPM2TOOLS_TCTI: swtpm.tcti };
  const akContext = join(work, 'ak.ctx');
  await run(
    'tpm2_createprimary',
    [
      '-C',
      'o',
      '-G',
      'ecc256:ecdsa-sha256:null',
      '-a',
      'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign',
      '-c',
      akContext,
    ],
    { env },
  );
  await run('tpm2_evictcontrol', ['-C', 'o', '-c', akContext, '0x81000002'], { env });
  const cli: number[] = [];
  for (let i = 0; i < CLI_QUOTES; i++) {
    const args = ['-c', '0x81000002', '-l', `sha256:${PCRS.join(',')}`, '-q', randomBytes(32).toString('hex')];
    args.push('-m', join(work, 'attest'), '-s', join(work, 'sig'));
    cli.push(await timed(() => run('tpm2_quote', args, { env })));
  }

  const addonMedian = percentile(addon, 50);
  const cliMedian = percentile(cli, 50);
  console.log(`quote of ${PCRS.length} sha256 PCRs with an ECC P-256 AK on swtpm`);
  console.log(
    `  addon      N=${ADDON_QUOTES}: median ${addonMedian.toFixed(3)} ms, p95 ${percentile(addon, 95).toFixed(3)} ms`,
  );
  console.log(
    `  tpm2_quote N=${CLI_QUOTES}: median ${cliMedian.toFixed(3)} ms, p95 ${percentile(cli, 95).toFixed(3)} ms`,
  );
  console.log(
    `  ratio addon/tpm2_quote (median): ${(addonMedian / cliMedian).toFixed(3)} (target ≤ 0.100; ${(cliMedian / addonMedian).toFixed(1)}× faster)`,
  );
} finally {
  await swtpm.stop();
  await rm(work, { recursive: true, force: true });
}
