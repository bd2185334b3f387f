// An in-memory CliIo for running commands in-process.
import { readFile, readdir } from 'node:fs/promises';
import type { CliIo } from '../../../cli/cli-io.js';

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

export function fakeIo(options: { tty?: boolean; env?: Record<string, string> } = {}): FakeIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (err += s), isTTY: options.tty ?? false },
    env: options.env ?? {},
    readFile: (path) => readFile(path),
    readDir: (path) => readdir(path),
    out: () => out,
    err: () => err,
  };
}
