// Runs iproute2 (`ip`) with an argument array, never a shell; a failure names the command and ip's own message.
import { ConstellationError } from '../errors.js';

export const MINI_NETWORK_FAILED = 'MINI_NETWORK_FAILED';

export interface IpResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ip <args>`; resolves with the result whatever the exit code. */
export async function ipQuiet(args: readonly string[]): Promise<IpResult> {
  const { execa } = await import('execa');
  const result = await execa('ip', [...args], {
    reject: false,
    env: { LC_ALL: 'C' },
    stdin: 'ignore',
    timeout: 30_000,
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `ip <args>`; throws MINI_NETWORK_FAILED unless it exits 0. */
export async function ip(args: readonly string[]): Promise<string> {
  const result = await ipQuiet(args);
  if (result.exitCode !== 0) {
    throw new ConstellationError(
      MINI_NETWORK_FAILED,
      `Expected 'ip ${args.join(' ')}' to succeed, found exit code ${String(result.exitCode)}: ${result.stderr.trim()}. The VM network needs root (network namespaces, bridges, taps)`,
    );
  }
  return result.stdout;
}

/** Names of the network namespaces on this host. */
export async function namespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/**
 * The host link that holds IPv4 `address`, from `ip -o -4 addr show` output ("3: cmini1a2b3c4d    inet 10.42.0.1/24
 * ..."); undefined when none does.
 */
export function linkHoldingAddress(ipAddrOutput: string, address: string): string | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const inet = fields.indexOf('inet');
    if (inet > 0 && fields[inet + 1]?.split('/')[0] === address) return fields[1]?.split('@')[0];
  }
  return undefined;
}

/** The host link that holds IPv4 `address` now, if any. */
export async function hostLinkWithAddress(address: string): Promise<string | undefined> {
  return linkHoldingAddress(await ip(['-o', '-4', 'addr', 'show']), address);
}

/** Whether a link of that name exists in the host's namespace (or in `namespace`). */
export async function linkExists(name: string, namespace?: string): Promise<boolean> {
  const result = await ipQuiet([...(namespace === undefined ? [] : ['-n', namespace]), 'link', 'show', 'dev', name]);
  return result.exitCode === 0;
}
