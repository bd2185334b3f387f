// Builds the `constellation` commander program. Commands report their outcome through `done(code)`;
// nothing here calls process.exit, so the program runs the same in-process (tests) and as a binary.
import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { makeAttestationCommand } from './commands/attestation.js';
import { makeConfigCommand } from './commands/config.js';
import { makeInitCommand } from './commands/init.js';
import { registerLocalCommands } from './commands/local.js';
import { makeMiniCommand } from './commands/mini.js';
import { makeRecoverCommand } from './commands/recover.js';
import { makeVerifyCommand } from './commands/verify.js';
import { EXIT_CODE_HELP, type ExitCode } from './exit-codes.js';

// Paragraphs are single lines: commander wraps them to the terminal width.
export const PROGRAM_DESCRIPTION = [
  'Always-encrypted Kubernetes nodes: measured images, attested joins, encrypted state disks.',
  'Every node proves what it runs (remote attestation: TPM quotes, AMD SEV-SNP reports, Intel TDX quotes) before it receives keys. Commands that check evidence work offline on stored files, so you can verify what a node sent without trusting the machine that relayed it.',
  'Output: results go to stdout (a table on a terminal, plain text otherwise, JSON with --output json); progress, warnings and errors go to stderr. NO_COLOR disables colour.',
].join('\n\n');

export function makeProgram(io: CliIo, done: (code: ExitCode) => void): Command {
  const program = new Command('constellation')
    .description(PROGRAM_DESCRIPTION)
    .usage('<command> [options]')
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n\nSee cli/EXIT-CODES.md for details.`);
  program.addCommand(makeConfigCommand(io, done));
  program.addCommand(makeInitCommand(io, done));
  program.addCommand(makeVerifyCommand(io, done));
  program.addCommand(makeRecoverCommand(io, done));
  registerLocalCommands(program, io, done);
  program.addCommand(makeMiniCommand(io, done));
  program.addCommand(makeAttestationCommand(io, done));
  applyToAll(program, io);
  return program;
}

/** addCommand() does not inherit settings, so every command gets the same output and error handling. */
function applyToAll(command: Command, io: CliIo): void {
  command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);
  for (const sub of command.commands) applyToAll(sub, io);
}
