// A private TPM manufacturer CA (swtpm_localca) whose EK certificates nodes and tests trust.
// Everything lives in the CA's own directory; nothing is written to system paths.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConstellationError } from '../errors.js';

const run = promisify(execFile);

export interface LocalCa {
  readonly dir: string;
  /** PEM of the self-signed root that EK certificates chain to (via `intermediatePem`). */
  rootPem(): Promise<string>;
  intermediatePem(): Promise<string>;
}

/** Creates the CA's configuration; swtpm_localca makes the keys on first use. */
export async function createLocalCa(dir?: string, manufacturer = 'constellation-local'): Promise<LocalCa> {
  const caDir = resolve(dir ?? (await mkdtemp(join(tmpdir(), 'tpm-ca-'))));
  await mkdir(caDir, { recursive: true });
  await writeConfigFile(
    join(caDir, 'swtpm-localca.conf'),
    [
      `statedir = ${caDir}`,
      `signingkey = ${join(caDir, 'signkey.pem')}`,
      `issuercert = ${join(caDir, 'issuercert.pem')}`,
      `certserial = ${join(caDir, 'certserial')}`,
      '',
    ].join('\n'),
  );
  await writeConfigFile(
    join(caDir, 'swtpm-localca.options'),
    `--platform-manufacturer ${manufacturer}\n--platform-version 2.1\n--platform-model swtpm\n`,
  );
  return {
    dir: caDir,
    rootPem: () => readFile(join(caDir, 'swtpm-localca-rootca-cert.pem'), 'utf8'),
    intermediatePem: () => readFile(join(caDir, 'issuercert.pem'), 'utf8'),
  };
}

/**
 * Writes a CA configuration file only when its content changes, by rename: another process may be provisioning an
 * EK from this CA right now (several machines of a local cluster booting), and swtpm_localca must never read a
 * truncated file ("Missing 'statedir'").
 */
async function writeConfigFile(path: string, content: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) return;
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

/** Provisions a TPM state directory with RSA-2048 and ECC EKs and their certificates in NV. */
export async function createEkCertificates(ca: LocalCa, stateDir: string, pcrBanks: readonly string[]): Promise<void> {
  const setupConf = join(stateDir, 'swtpm_setup.conf');
  await writeFile(
    setupConf,
    [
      'create_certs_tool = /usr/bin/swtpm_localca',
      `create_certs_tool_config = ${join(ca.dir, 'swtpm-localca.conf')}`,
      `create_certs_tool_options = ${join(ca.dir, 'swtpm-localca.options')}`,
      `active_pcr_banks = ${pcrBanks.join(',')}`,
      '',
    ].join('\n'),
  );
  // swtpm_localca keeps a serial-number file in the CA directory: provisioning several TPMs from one CA at
  // the same time (a local cluster starting its nodes) must not interleave, or certificates share serials
  // and swtpm_setup fails.
  const release = await lockCa(ca.dir);
  try {
    await run('swtpm_setup', [
      '--tpm2',
      '--tpmstate',
      stateDir,
      '--create-ek-cert',
      '--create-platform-cert',
      '--lock-nvram',
      '--pcr-banks',
      pcrBanks.join(','),
      '--config',
      setupConf,
      '--logfile',
      join(stateDir, 'setup.log'),
      '--overwrite',
    ]);
  } catch (error) {
    let log = '';
    try {
      log = await readFile(join(stateDir, 'setup.log'), 'utf8');
    } catch {
      // no log written
    }
    throw new ConstellationError(
      'SWTPM_SETUP_FAILED',
      `Expected swtpm_setup to provision EK certificates in ${stateDir} but it failed: ${(error as Error).message} ${log.trim()}`,
      { cause: error },
    );
  } finally {
    await release();
  }
}

const LOCK_WAIT_MS = 60_000;
const LOCK_STALE_MS = 30_000;

/** An exclusive lock file in the CA directory, shared between processes; a stale one (a crashed holder) is broken. */
async function lockCa(caDir: string): Promise<() => Promise<void>> {
  const path = join(caDir, '.provisioning.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(path, { force: true });
      else if (Date.now() > deadline) {
        throw new ConstellationError(
          'SWTPM_CA_BUSY',
          `Expected to lock the local CA at ${caDir} within ${LOCK_WAIT_MS} ms but ${path} stayed in place`,
        );
      } else await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  }
}
