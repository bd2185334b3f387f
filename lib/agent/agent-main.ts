// What every agent's main.ts does around its composition root, so all agents fail the same way:
// a bad flag or variable → `<agent>: <message>` on stderr, exit 2; a failed start → `<agent>: failed to start
// (<CODE>): <message>`, exit 1; a logger built from the config's level and transport.
import { ConstellationError } from '../errors.js';
import { createLogger, type Logger, type LogLevel, type LogTransport } from '../log/index.js';

/** Exit code for a configuration the agent cannot start with (flags, environment, config file). */
export const EXIT_BAD_CONFIG = 2;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `load`; on an invalid configuration prints `<agent>: <message>` and returns undefined (exit with 2). */
export function loadAgentConfig<T>(agent: string, load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    process.stderr.write(`${agent}: ${messageOf(error)}\n`);
    return undefined;
  }
}

/** The agent's logger at the configured level; the transport is detected (journald or JSON) when unset. */
export function agentLogger(
  agent: string,
  config: { readonly logLevel?: LogLevel | undefined; readonly logTransport?: LogTransport | undefined },
): Logger {
  return createLogger({
    name: agent,
    ...(config.logLevel === undefined ? {} : { level: config.logLevel }),
    ...(config.logTransport === undefined ? {} : { transport: config.logTransport }),
  });
}

export interface RunAgentOptions {
  /** Exit at once on a failed start (servers may already listen and would keep the process alive). */
  readonly exitOnFailure?: boolean;
}

/** Runs an agent's `main`: its number becomes the exit code; a rejection is reported with its error code. */
export function runAgent(agent: string, main: () => Promise<number>, options: RunAgentOptions = {}): void {
  main().then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (error: unknown) => {
      const code = error instanceof ConstellationError ? error.code : 'INTERNAL';
      process.stderr.write(`${agent}: failed to start (${code}): ${messageOf(error)}\n`);
      if (options.exitOnFailure === true) process.exit(1);
      process.exitCode = 1;
    },
  );
}
