// The host programs the image build runs, through execa with argument arrays (never a shell). A missing program
// names the Debian package that provides it; a failed one names its exit status and the tail of its stderr.
import { execa } from 'execa';
import { ConstellationError } from '../../lib/errors.js';

/** Program → the Debian package that installs it (the apt-get line in errors and in image/README.md). */
export const HOST_TOOLS: Readonly<Record<string, string>> = {
  mkosi: 'mkosi',
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  'mkfs.erofs': 'erofs-utils',
  veritysetup: 'cryptsetup-bin',
  objcopy: 'binutils',
  'mkfs.vfat': 'dosfstools',
  mmd: 'mtools',
  mcopy: 'mtools',
  sfdisk: 'fdisk',
  dd: 'coreutils',
  cp: 'coreutils',
  chroot: 'coreutils',
  mount: 'mount',
  umount: 'mount',
  'dpkg-query': 'dpkg',
  git: 'git',
  swtpm_setup: 'swtpm-tools',
  swtpm_localca: 'swtpm-tools',
};

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Bytes for stdin (sfdisk reads its script there). */
  readonly input?: string;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (program: string, args: readonly string[], options?: RunOptions) => Promise<CommandOutput>;

const STDERR_TAIL = 1500;

/** Runs a program to completion; rejects with IMAGE_BUILD_TOOL_MISSING or IMAGE_BUILD_COMMAND_FAILED. */
export const runCommand: CommandRunner = async (program, args, options = {}) => {
  const result = await execa(program, [...args], {
    reject: false,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { LC_ALL: 'C', ...options.env },
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw missingTool(program);
    throw new ConstellationError('IMAGE_BUILD_COMMAND_FAILED', `Expected ${program} to run, found: ${result.message}`);
  }
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).slice(-STDERR_TAIL).trim();
    throw new ConstellationError(
      'IMAGE_BUILD_COMMAND_FAILED',
      `Expected \`${program} ${args.slice(0, 3).join(' ')}…\` to exit 0, found exit ${String(result.exitCode)}: ${tail}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
};

export function missingTool(program: string): ConstellationError {
  const pkg = HOST_TOOLS[program] ?? program;
  return new ConstellationError(
    'IMAGE_BUILD_TOOL_MISSING',
    `Expected the host program ${program}, found none on PATH: apt-get install -y --no-install-recommends ${pkg}`,
  );
}

/** Checks up front that every program the build needs is on PATH (one error listing all that are missing). */
export async function checkHostTools(
  programs: readonly string[] = Object.keys(HOST_TOOLS),
  onPath: (program: string) => Promise<boolean> = programOnPath,
): Promise<void> {
  const missing: string[] = [];
  for (const program of programs) if (!(await onPath(program))) missing.push(program);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((program) => HOST_TOOLS[program] ?? program))].sort();
  throw new ConstellationError(
    'IMAGE_BUILD_TOOL_MISSING',
    `Expected the host programs ${missing.join(', ')}, found them missing: apt-get install -y --no-install-recommends ${packages.join(' ')}`,
  );
}

async function programOnPath(program: string): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises');
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    try {
      await access(`${dir}/${program}`, constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
