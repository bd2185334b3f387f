// The cryptsetup commands the state disk uses, each with its exit codes mapped to our error codes. Keys go on
// stdin (`--key-file -`) or through a FIFO (private-workdir.ts), never on argv; messages quote cryptsetup's
// stderr, which never contains key material.
import { ConstellationError } from '../errors.js';
import type { CommandResult, CryptsetupRunner } from './command-runner.js';
import { withKeyPipe } from './private-workdir.js';
import { LUKS_FORMAT } from './luks-format.js';
import { STATE_DISK_ERROR_CODES as CODES } from './state-disk.js';

const PBKDF_ARGS = [
  '--pbkdf',
  LUKS_FORMAT.pbkdf.type,
  '--pbkdf-memory',
  String(LUKS_FORMAT.pbkdf.memoryKiB),
  '--pbkdf-force-iterations',
  String(LUKS_FORMAT.pbkdf.iterations),
  '--pbkdf-parallel',
  String(LUKS_FORMAT.pbkdf.parallel),
];

// cryptsetup(8) EXIT STATUS.
const EXIT_NO_PERMISSION = 2; // wrong passphrase / key
const EXIT_WRONG_DEVICE = 4;
const EXIT_BUSY = 5;

const DEVICE_MAPPER = /device-mapper|dm_mod|\/dev\/mapper\/control/i;

/** The line that says what went wrong: cryptsetup prints warnings (e.g. about the small keyslots area) first. */
function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const line = lines.find((candidate) => !candidate.startsWith('WARNING:')) ?? lines[0];
  return line === undefined ? 'no message' : line.slice(0, 200);
}

// `token import --token-replace` arrived in cryptsetup 2.4.
const MINIMUM_VERSION = [2, 4] as const;

export class Cryptsetup {
  readonly #runner: CryptsetupRunner;

  constructor(runner: CryptsetupRunner) {
    this.#runner = runner;
  }

  async #run(operation: string, args: readonly string[], stdin?: Buffer): Promise<CommandResult> {
    const result = await this.#runner.run('cryptsetup', args, stdin === undefined ? {} : { stdin });
    if (result.missing) {
      throw new ConstellationError(
        CODES.CRYPTSETUP_MISSING,
        `Expected cryptsetup on PATH for ${operation} but found none; install it with \`apt-get install cryptsetup-bin\``,
      );
    }
    return result;
  }

  #failure(operation: string, target: string, result: CommandResult): ConstellationError {
    const detail = `cryptsetup ${operation} on ${target}: expected exit code 0, found ${result.exitCode ?? 'none'} (${firstLine(result.stderr)})`;
    if (result.exitCode === EXIT_WRONG_DEVICE) return new ConstellationError(CODES.DISK_DEVICE_MISSING, detail);
    if (result.exitCode === EXIT_BUSY) return new ConstellationError(CODES.DISK_BUSY, detail);
    return new ConstellationError(CODES.DISK_COMMAND_FAILED, detail);
  }

  /** `cryptsetup --version`, e.g. "cryptsetup 2.6.1 flags: …"; CRYPTSETUP_MISSING names the apt command. */
  async version(): Promise<string> {
    const result = await this.#run('--version', ['--version']);
    if (result.exitCode !== 0) throw this.#failure('--version', 'this host', result);
    const version = result.stdout.trim();
    const match = /^cryptsetup (\d+)\.(\d+)/.exec(version);
    const [major, minor] = [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)];
    if (major < MINIMUM_VERSION[0] || (major === MINIMUM_VERSION[0] && minor < MINIMUM_VERSION[1])) {
      throw new ConstellationError(
        CODES.CRYPTSETUP_UNSUPPORTED,
        `Expected cryptsetup ${MINIMUM_VERSION.join('.')} or later, found "${firstLine(version)}"; install a newer cryptsetup-bin`,
      );
    }
    return version;
  }

  /** True when `path` holds a LUKS header cryptsetup can load. */
  async isLuks(path: string): Promise<boolean> {
    const result = await this.#run('isLuks', ['isLuks', '--type', 'luks2', path]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw this.#failure('isLuks', path, result);
  }

  /** The LUKS2 JSON metadata, parsed but not yet validated (luks-header-policy.ts does that). */
  async dumpMetadata(path: string): Promise<unknown> {
    const result = await this.#run('luksDump', ['luksDump', '--dump-json-metadata', path]);
    if (result.exitCode !== 0) throw this.#failure('luksDump', path, result);
    try {
      return JSON.parse(result.stdout) as unknown;
    } catch {
      throw new ConstellationError(
        CODES.DISK_COMMAND_FAILED,
        `cryptsetup luksDump on ${path}: expected JSON metadata, found output that does not parse`,
      );
    }
  }

  /**
   * luksFormat with LUKS_FORMAT, the header written detached to `options.header` (the data area of `device` starts
   * at LUKS_FORMAT.dataOffsetBytes, as with an attached header); integrity needs device-mapper even without the
   * wipe (cryptsetup formats the dm-integrity superblock and journal on `device` through a temporary mapping).
   */
  async format(device: string, key: Buffer, options: { integrity: boolean; header: string }): Promise<void> {
    const args = [
      'luksFormat',
      '--batch-mode',
      '--type',
      'luks2',
      '--header',
      options.header,
      '--offset',
      String(LUKS_FORMAT.dataOffsetBytes / 512), // 512-byte sectors, whatever the LUKS2 sector size
      '--cipher',
      LUKS_FORMAT.cipher,
      '--key-size',
      String(LUKS_FORMAT.keySizeBits),
      '--sector-size',
      String(LUKS_FORMAT.sectorSize),
      '--luks2-keyslots-size',
      String(LUKS_FORMAT.keyslotsAreaBytes),
      ...(options.integrity ? ['--integrity', LUKS_FORMAT.integrity, '--integrity-no-wipe'] : []),
      ...PBKDF_ARGS,
      '--key-file',
      '-',
      device,
    ];
    const result = await this.#run('luksFormat', args, key);
    if (result.exitCode === 0) return;
    if (options.integrity && DEVICE_MAPPER.test(result.stderr)) {
      throw new ConstellationError(
        CODES.DISK_INTEGRITY_UNSUPPORTED,
        `cryptsetup luksFormat --integrity on ${device}: expected device-mapper to format dm-integrity, found none on this host (${firstLine(result.stderr)}); load dm_mod / dm_integrity or format without integrity`,
      );
    }
    throw this.#failure('luksFormat', device, result);
  }

  /** Writes (or replaces) token `tokenId` with `json`. */
  async importToken(path: string, tokenId: number, json: string): Promise<void> {
    const args = ['token', 'import', '--token-replace', '--token-id', String(tokenId), '--json-file', '-', path];
    const result = await this.#run('token import', args, Buffer.from(json, 'utf8'));
    if (result.exitCode !== 0) throw this.#failure('token import', path, result);
  }

  /** Whether `key` unlocks a keyslot; needs no device-mapper (`open --test-passphrase`). */
  async testKey(path: string, key: Buffer): Promise<boolean> {
    const result = await this.#run(
      'open --test-passphrase',
      ['open', '--test-passphrase', '--key-file', '-', path],
      key,
    );
    if (result.exitCode === 0) return true;
    if (result.exitCode === EXIT_NO_PERMISSION) return false;
    throw this.#failure('open --test-passphrase', path, result);
  }

  /** Replaces the keyslot `oldKey` unlocks (LUKS2 keeps its number) by `newKey`; DISK_KEY_REJECTED if wrong. */
  async changeKey(path: string, workdir: string, oldKey: Buffer, newKey: Buffer): Promise<void> {
    const result = await withKeyPipe(workdir, newKey, (newKeyPath) =>
      this.#run(
        'luksChangeKey',
        [
          'luksChangeKey',
          '--batch-mode',
          ...PBKDF_ARGS,
          '--key-file',
          '-',
          '--new-keyfile-size',
          String(newKey.length),
          path,
          newKeyPath,
        ],
        oldKey,
      ),
    );
    if (result.exitCode === 0) return;
    if (result.exitCode === EXIT_NO_PERMISSION) {
      throw new ConstellationError(CODES.DISK_KEY_REJECTED, `Expected a key that unlocks ${path}; found none`);
    }
    throw this.#failure('luksChangeKey', path, result);
  }

  async backupHeader(device: string, file: string): Promise<void> {
    const result = await this.#run('luksHeaderBackup', ['luksHeaderBackup', device, '--header-backup-file', file]);
    if (result.exitCode !== 0) throw this.#failure('luksHeaderBackup', device, result);
  }

  async restoreHeader(device: string, file: string): Promise<void> {
    const args = ['luksHeaderRestore', '--batch-mode', device, '--header-backup-file', file];
    const result = await this.#run('luksHeaderRestore', args);
    if (result.exitCode !== 0) throw this.#failure('luksHeaderRestore', device, result);
  }

  /** Maps `device` at /dev/mapper/<name> using the (validated) detached `header`. */
  async open(device: string, header: string, name: string, key: Buffer): Promise<string> {
    const args = ['open', '--type', 'luks2', '--header', header, '--key-file', '-', device, name];
    const result = await this.#run('open', args, key);
    if (result.exitCode === 0) return `/dev/mapper/${name}`;
    if (DEVICE_MAPPER.test(result.stderr)) {
      throw new ConstellationError(
        CODES.DISK_OPEN_UNSUPPORTED,
        `cryptsetup open ${device}: expected device-mapper to map the disk, found none on this host (${firstLine(result.stderr)}); run on a kernel with dm_crypt (the QEMU guests) or use the directory state disk ("stateDisk: none")`,
      );
    }
    if (result.exitCode === EXIT_NO_PERMISSION) {
      throw new ConstellationError(CODES.DISK_KEY_REJECTED, `Expected a key that unlocks ${device}; found none`);
    }
    throw this.#failure('open', device, result);
  }

  async close(name: string): Promise<void> {
    const result = await this.#run('close', ['close', name]);
    if (result.exitCode !== 0) throw this.#failure('close', name, result);
  }
}
