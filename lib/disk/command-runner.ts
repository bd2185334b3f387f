// Runs the disk tools (cryptsetup, mkfs.ext4, mount, umount) as child processes: argument arrays, never a
// shell; secrets only ever on stdin. Injectable so tests can stand in for the steps that need device-mapper.

export type DiskProgram = 'cryptsetup' | 'mkfs.ext4' | 'mount' | 'umount';

export interface CommandResult {
  /** Exit status; undefined when the program could not be started (`missing` then says why). */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** The program is not installed (ENOENT). */
  readonly missing: boolean;
}

export interface CommandInput {
  /** Bytes for the child's stdin (keys: cryptsetup reads `--key-file -`). */
  readonly stdin?: Buffer;
}

/** Named as in the shared contract: the runner behind `luksStateDisk({cryptsetup})`. */
export interface CryptsetupRunner {
  run(program: DiskProgram, args: readonly string[], input?: CommandInput): Promise<CommandResult>;
}

// Formatting with argon2 and writing a 16 MiB header take well under a second; a stuck device must not hang boot.
const COMMAND_TIMEOUT_MS = 120_000;

/**
 * The real runner: execa with a C locale so messages are stable for error mapping. execa is loaded on first use:
 * it costs ~13 MB of resident memory, which a node on the unencrypted development disk never needs.
 */
export const execaRunner: CryptsetupRunner = {
  async run(program, args, input = {}) {
    const { execa } = await import('execa');
    const result = await execa(program, [...args], {
      reject: false,
      timeout: COMMAND_TIMEOUT_MS,
      env: { LC_ALL: 'C' },
      ...(input.stdin === undefined ? { stdin: 'ignore' as const } : { input: input.stdin }),
    });
    const missing =
      result.exitCode === undefined &&
      typeof result.cause === 'object' &&
      result.cause !== null &&
      'code' in result.cause &&
      result.cause.code === 'ENOENT';
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, missing };
  },
};

export interface DiskCommandTiming {
  readonly program: DiskProgram;
  /** cryptsetup's action (luksFormat, open, …) or the program itself. */
  readonly operation: string;
  readonly exitCode: number | undefined;
  readonly ms: number;
}

/** Wraps `runner` to report each command's wall time (arguments and stdin are not reported: keys travel there). */
export function timedRunner(runner: CryptsetupRunner, report: (timing: DiskCommandTiming) => void): CryptsetupRunner {
  return {
    async run(program, args, input) {
      const started = performance.now();
      const result = await runner.run(program, args, input);
      const operation = program === 'cryptsetup' ? (args.find((arg) => !arg.startsWith('-')) ?? program) : program;
      report({ program, operation, exitCode: result.exitCode, ms: Math.round(performance.now() - started) });
      return result;
    },
  };
}
