// Graceful shutdown: on SIGTERM (systemd's stop) or SIGINT, tell systemd we are stopping, let the agent close its
// servers, and exit 0; if closing takes longer than the deadline, abort it and exit 1 so a stuck connection cannot
// hold the unit in "deactivating" until systemd's own kill timeout. A second signal exits at once.
import { notifyStopping } from './notify.js';

export interface ShutdownRequest {
  readonly signal: NodeJS.Signals;
  /** Aborted when the deadline passes: force-close what is still open (e.g. grpc forceShutdown). */
  readonly deadline: AbortSignal;
}

/** What onShutdown needs from the process; injectable for tests. */
export interface SignalSource {
  once(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  /** Milliseconds the close handler gets before the process exits with 1; default 10 s. */
  readonly deadlineMs?: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** Called with the exit code; defaults to process.exit. */
  readonly exit?: (code: number) => void;
  /** Told about a close failure or a missed deadline (the agent's logger). */
  readonly report?: (event: 'close-failed' | 'deadline-passed' | 'second-signal', error?: unknown) => void;
  readonly source?: SignalSource;
  /** Environment for sd_notify (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/** Registers the handler; returns a function that unregisters it. */
export function onShutdown(
  close: (request: ShutdownRequest) => Promise<void>,
  options: ShutdownOptions = {},
): () => void {
  const source = options.source ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const report = options.report ?? (() => undefined);
  const deadlineMs = options.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS;
  let stopping = false;
  let exited = false;
  const finish = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  const secondSignal = () => {
    report('second-signal');
    finish(1);
  };

  const listener = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const other of signals) {
      source.removeListener(other, listener);
      source.once(other, secondSignal);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort();
      report('deadline-passed');
      finish(1);
    }, deadlineMs);
    // The deadline alone must not keep the process alive once everything else has closed.
    timer.unref();
    void (async () => {
      try {
        await notifyStopping(options.env === undefined ? {} : { env: options.env }).catch((error: unknown) => {
          report('close-failed', error);
        });
        await close({ signal, deadline: controller.signal });
        clearTimeout(timer);
        finish(0);
      } catch (error) {
        clearTimeout(timer);
        report('close-failed', error);
        finish(1);
      }
    })();
  };

  for (const signal of signals) source.once(signal, listener);
  return () => {
    for (const signal of signals) {
      source.removeListener(signal, listener);
      source.removeListener(signal, secondSignal);
    }
  };
}
