// One TEE report through configfs-tsm (Linux >= 6.7, Documentation/ABI/testing/configfs-tsm): make a private
// entry under <root>/report, write inblob (and privlevel), read outblob/auxblob, check that `generation` moved by
// exactly our writes (otherwise another writer raced us and outblob may answer someone else's inblob), remove it.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError, invalidArgument } from '../../errors.js';
import { TEE_ISSUER_ERROR_CODES as CODES } from './tee-issuer-error-codes.js';

export const DEFAULT_TSM_ROOT = '/sys/kernel/config/tsm';
export const TSM_INBLOB_MAX = 64;
const DEFAULT_ATTEMPTS = 3;

/** The file operations configfs-tsm needs; injectable so tests can replay recorded evidence. */
export interface TsmFilesystem {
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer): Promise<void>;
  isDirectory(path: string): Promise<boolean>;
}

export const nodeTsmFilesystem: TsmFilesystem = {
  mkdir: async (path) => {
    await mkdir(path);
  },
  rmdir: (path) => rmdir(path),
  readFile: (path) => readFile(path),
  writeFile: (path, data) => writeFile(path, data),
  isDirectory: async (path) => {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
};

/** Kernel providers of configfs-tsm reports. */
export type TsmProvider = 'sev_guest' | 'tdx_guest';

export interface TsmReportRequest {
  /** Up to 64 bytes; the kernel zero-pads shorter input. */
  readonly inblob: Uint8Array;
  /** The provider this caller can interpret; any other provider is refused. */
  readonly provider: TsmProvider;
  /** Privilege level the report is for (SEV-SNP VMPL); written only when given. */
  readonly privlevel?: number;
  /** configfs-tsm mount point (default /sys/kernel/config/tsm). */
  readonly root?: string;
  readonly fs?: TsmFilesystem;
  /** Tries when another writer races us (default 3). */
  readonly attempts?: number;
}

export interface TsmReport {
  readonly outblob: Buffer;
  /** Auxiliary data (SEV-SNP: the host's certificate table); empty when the provider has none. */
  readonly auxblob: Buffer;
  readonly provider: TsmProvider;
  /** `generation` read after outblob; it equals the writes made to this entry. */
  readonly generation: number;
}

/** Whether `<root>/report` exists, i.e. the kernel offers configfs-tsm reports. */
export async function tsmReportsAvailable(root = DEFAULT_TSM_ROOT, fs = nodeTsmFilesystem): Promise<boolean> {
  return fs.isDirectory(join(root, 'report'));
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function reportFailed(step: string, path: string, error: unknown): ConstellationError {
  const detail = error instanceof Error ? error.message : String(error);
  return new ConstellationError(CODES.TEE_REPORT_FAILED, `configfs-tsm ${step} ${path} failed: ${detail}`, {
    cause: error,
  });
}

async function step<T>(what: string, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw reportFailed(what, path, error);
  }
}

function parseGeneration(text: Buffer, path: string): number {
  const trimmed = text.toString('utf8').trim();
  if (!/^\d{1,15}$/.test(trimmed)) {
    throw new ConstellationError(
      CODES.TEE_REPORT_FAILED,
      `Expected a decimal generation counter in ${path} but received ${JSON.stringify(trimmed.slice(0, 32))}`,
    );
  }
  return Number(trimmed);
}

class GenerationRace extends ConstellationError {
  constructor(path: string, expected: number, found: number) {
    super(
      CODES.TEE_GENERATION_RACE,
      `Expected generation ${expected} in ${path} after our writes, got ${found}: another writer used this report entry`,
    );
  }
}

async function readOptional(fs: TsmFilesystem, path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    // auxblob is absent on providers without auxiliary data (and empty reads are ENODATA on some kernels).
    if (['ENOENT', 'ENODATA', 'EINVAL'].includes(errnoCode(error) ?? '')) return Buffer.alloc(0);
    throw reportFailed('read', path, error);
  }
}

async function attemptReport(fs: TsmFilesystem, entry: string, request: TsmReportRequest): Promise<TsmReport> {
  const provider = (await step('read', join(entry, 'provider'), () => fs.readFile(join(entry, 'provider'))))
    .toString('utf8')
    .trim();
  if (provider !== request.provider) {
    throw new ConstellationError(
      CODES.TEE_PROVIDER_MISMATCH,
      `Expected configfs-tsm provider ${request.provider} but the kernel reports ${JSON.stringify(provider)}: ` +
        `this guest's TEE is not the one the attestation variant asks for`,
    );
  }
  const generationPath = join(entry, 'generation');
  const before = parseGeneration(await step('read', generationPath, () => fs.readFile(generationPath)), generationPath);
  let writes = 0;
  if (request.privlevel !== undefined) {
    const privlevel = Buffer.from(`${request.privlevel}\n`);
    await step('write', join(entry, 'privlevel'), () => fs.writeFile(join(entry, 'privlevel'), privlevel));
    writes += 1;
  }
  const inblob = Buffer.from(request.inblob);
  await step('write', join(entry, 'inblob'), () => fs.writeFile(join(entry, 'inblob'), inblob));
  writes += 1;
  const outblob = await step('read', join(entry, 'outblob'), () => fs.readFile(join(entry, 'outblob')));
  const auxblob = await readOptional(fs, join(entry, 'auxblob'));
  const after = parseGeneration(await step('read', generationPath, () => fs.readFile(generationPath)), generationPath);
  if (after !== before + writes) throw new GenerationRace(generationPath, before + writes, after);
  if (outblob.length === 0) {
    throw new ConstellationError(
      CODES.TEE_REPORT_FAILED,
      `Expected a report in ${join(entry, 'outblob')}, got 0 bytes`,
    );
  }
  return { outblob, auxblob, provider: request.provider, generation: after };
}

/** Requests one report; retries in a fresh entry when raced, then fails with TEE_GENERATION_RACE. */
export async function requestTsmReport(request: TsmReportRequest): Promise<TsmReport> {
  const root = request.root ?? DEFAULT_TSM_ROOT;
  const fs = request.fs ?? nodeTsmFilesystem;
  const attempts = request.attempts ?? DEFAULT_ATTEMPTS;
  if (!(request.inblob instanceof Uint8Array) || request.inblob.length > TSM_INBLOB_MAX) {
    throw invalidArgument('inblob', `at most ${TSM_INBLOB_MAX} bytes`, request.inblob);
  }
  if (request.privlevel !== undefined && (!Number.isInteger(request.privlevel) || request.privlevel < 0)) {
    throw invalidArgument('privlevel', 'a non-negative integer', request.privlevel);
  }
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw invalidArgument('attempts', 'an integer 1..10', attempts);
  }
  const reportDir = join(root, 'report');
  if (!(await fs.isDirectory(reportDir))) {
    throw new ConstellationError(
      CODES.TEE_UNAVAILABLE,
      `Expected the configfs-tsm report interface at ${reportDir}, but it is not there. It needs Linux >= 6.7 ` +
        `with CONFIG_TSM_REPORTS, the ${request.provider} driver, and configfs mounted at /sys/kernel/config.`,
    );
  }
  let lastRace: ConstellationError | undefined;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const entry = join(reportDir, `constellation-${process.pid}-${randomBytes(6).toString('hex')}`);
    await step('mkdir', entry, () => fs.mkdir(entry));
    try {
      return await attemptReport(fs, entry, request);
    } catch (error) {
      if (!(error instanceof GenerationRace)) throw error;
      lastRace = error;
    } finally {
      // An entry left behind keeps a kernel object alive; a failed rmdir must not hide the real outcome.
      await fs.rmdir(entry).catch(() => undefined);
    }
  }
  throw new ConstellationError(
    CODES.TEE_GENERATION_RACE,
    `configfs-tsm report raced by another writer ${attempts} times in a row; last: ${lastRace?.message ?? ''}`,
    { cause: lastRace },
  );
}
