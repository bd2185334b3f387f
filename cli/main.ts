// Entry point of the `constellation` CLI: runs the program and turns every outcome into an exit code.
// `runCli` never calls process.exit; the launcher (bin/constellation.js) sets process.exitCode.
import { readFile, readdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import { reportError } from './error-report.js';
import { makeProgram } from './program.js';

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readFile: (path) => readFile(path),
    readDir: (path) => readdir(path),
  };
}

/** Runs `constellation <argv…>` and resolves to its exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let code: ExitCode = ExitCode.OK;
  const program = makeProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    return reportError(io, error);
  }
}

/** Help and version asked for exit 0; every other commander error is a usage error (its message is printed). */
function commanderExitCode(error: CommanderError): ExitCode {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.OK;
  if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  return ExitCode.USAGE;
}

// Run when executed directly (`node --import tsx cli/main.ts …`); the bin launcher imports runCli instead.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
