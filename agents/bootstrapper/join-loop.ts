// Finds the control plane through the (untrusted) metadata service and keeps trying to join (or rejoin) until
// it succeeds or is aborted (Init won the node lock, or recovery unlocked the disk). The metadata only says
// where to dial; whom to trust is decided by attesting the JoinService (lib/join). One round tries every
// control-plane address but this node's own; a failed round waits `intervalMs` and asks the metadata again, so
// a control plane that comes up later is found.
import { JOIN_PORT } from '../../lib/cluster/ports.js';
import { formatListenAddress } from '../../lib/config/index.js';
import type { Logger } from '../../lib/log/index.js';
import type { MetadataSource } from './ports.js';

export interface JoinLoopOptions<T> {
  readonly metadata: Pick<MetadataSource, 'peers'>;
  /** This node's address: never dialed (a restarting control-plane node cannot rejoin itself). */
  readonly selfAddress: string;
  /** One round over the JoinService addresses ("host:port"); throws when none of them admitted the node. */
  readonly attempt: (addresses: string[], signal: AbortSignal) => Promise<T>;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly joinPort?: number;
}

export const DEFAULT_JOIN_INTERVAL_MS = 1000;

/** The round's result; rejects only with the abort reason. */
export async function runJoinLoop<T>(options: JoinLoopOptions<T>): Promise<T> {
  const interval = options.intervalMs ?? DEFAULT_JOIN_INTERVAL_MS;
  const port = options.joinPort ?? JOIN_PORT;
  let lastProblem = '';
  for (;;) {
    options.signal.throwIfAborted();
    let problem: string;
    try {
      const peers = await options.metadata.peers();
      const addresses = peers
        .filter((peer) => peer.role === 'control-plane' && peer.address !== options.selfAddress)
        .map((peer) => formatListenAddress({ host: peer.address, port }));
      if (addresses.length > 0) return await options.attempt(addresses, options.signal);
      problem = 'no control-plane peer in the metadata yet';
    } catch (error) {
      options.signal.throwIfAborted();
      problem = error instanceof Error ? error.message : String(error);
    }
    // Log a changed problem once, not every round.
    if (problem !== lastProblem) {
      options.logger.info('not joined yet, retrying', { reason: problem, intervalMs: interval });
      lastProblem = problem;
    }
    await abortableDelay(interval, options.signal);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
