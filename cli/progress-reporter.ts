// Progress for long commands, on stderr: a spinner on one rewritten line when stderr is a terminal, one
// plain line per step otherwise (logs and CI stay readable and greppable).
import type { CliIo } from './cli-io.js';

export interface ProgressReporter {
  /** A new step; replaces the spinner text on a terminal, prints a line otherwise. */
  step(message: string): void;
  /** Ends the spinner (a final line is printed on a terminal); safe to call twice. */
  stop(final?: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

export function progressReporter(io: CliIo): ProgressReporter {
  const err = io.stderr;
  if (err.isTTY !== true || io.env['TERM'] === 'dumb') {
    return {
      step: (message) => err.write(`${message}\n`),
      stop: (final) => {
        if (final !== undefined) err.write(`${final}\n`);
      },
    };
  }
  let text = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    err.write(`\r\u001b[K${FRAMES[frame % FRAMES.length] ?? ''} ${text}`);
    frame++;
  };
  return {
    step(message) {
      // The previous step is done: keep it on screen, spin on the new one.
      if (text !== '') err.write(`\r\u001b[K✓ ${text}\n`);
      text = message;
      draw();
      // unref: a spinner must never keep the process alive.
      timer ??= setInterval(draw, FRAME_MS).unref();
    },
    stop(final) {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (text !== '') err.write(`\r\u001b[K✓ ${text}\n`);
      text = '';
      if (final !== undefined) err.write(`${final}\n`);
    },
  };
}
