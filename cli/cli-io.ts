// The streams and environment a command talks to, injected so commands are testable in-process.

export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  /** Data: verification results, JSON. */
  readonly stdout: OutputStream;
  /** People: progress, warnings, errors. */
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file named on the command line (relative to the working directory). */
  readFile(path: string): Promise<Buffer>;
  readDir(path: string): Promise<string[]>;
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: CliIo, stream: OutputStream): boolean {
  return stream.isTTY === true && (io.env['NO_COLOR'] ?? '') === '' && io.env['TERM'] !== 'dumb';
}
