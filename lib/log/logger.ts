// The structured logger every agent gets from its composition root. Fields are redacted before any transport sees
// them (lib/log/redact.ts). The transport is chosen once: journald's stream when stderr is connected to it
// (JOURNAL_STREAM names stderr's device:inode), text on a terminal, JSON lines otherwise.
import { fstatSync } from 'node:fs';
import { invalidArgument } from '../errors.js';
import { formatJournald, formatJson, formatText, type LogRecord } from './format.js';
import { journalNativeWriter } from './journald-native.js';
import { redactFields } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;
export type LogTransport = 'journald' | 'journald-native' | 'stderr-json' | 'stderr-text';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_TRANSPORTS: readonly LogTransport[] = ['journald', 'journald-native', 'stderr-json', 'stderr-text'];

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. { peer: '10.0.0.5:43210' }). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Dotted component name, e.g. 'kms' or 'joinservice.PolicyStore'. */
  readonly name: string;
  readonly level?: LogLevel;
  /** Chosen by {@link detectTransport} when absent. */
  readonly transport?: LogTransport;
  /** Where lines go (each without its newline); defaults to process.stderr. For journald-native: the fallback. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
  /** journald-native only: the datagram socket (default /run/systemd/journal/socket). */
  readonly journalSocket?: string;
}

/** journald when stderr is the stream systemd gave us, text on a TTY, JSON lines otherwise. */
export function detectTransport(
  env: NodeJS.ProcessEnv = process.env,
  stderr: { isTTY?: boolean; fd?: number } = process.stderr,
): LogTransport {
  const journalStream = env.JOURNAL_STREAM;
  if (journalStream !== undefined && /^\d+:\d+$/.test(journalStream)) {
    try {
      const { dev, ino } = fstatSync(stderr.fd ?? 2);
      if (journalStream === `${dev}:${ino}`) return 'journald';
    } catch {
      // stderr closed: not journald
    }
  }
  return stderr.isTTY === true ? 'stderr-text' : 'stderr-json';
}

const FORMATS: Readonly<Record<Exclude<LogTransport, 'journald-native'>, (record: LogRecord) => string>> = {
  journald: formatJournald,
  'stderr-json': formatJson,
  'stderr-text': formatText,
};

export function createLogger(options: LoggerOptions): Logger {
  if (typeof options.name !== 'string' || options.name === '') {
    throw invalidArgument('logger name', 'a non-empty string', options.name);
  }
  const level = options.level ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw invalidArgument('log level', LOG_LEVELS.join(' | '), level);
  const transport = options.transport ?? detectTransport();
  if (!LOG_TRANSPORTS.includes(transport))
    throw invalidArgument('log transport', LOG_TRANSPORTS.join(' | '), transport);
  const write =
    options.write ??
    ((line: string) => {
      process.stderr.write(`${line}\n`);
    });
  const output =
    transport === 'journald-native'
      ? journalNativeWriter({
          identifier: options.name.split('.')[0] ?? options.name,
          ...(options.journalSocket === undefined ? {} : { socket: options.journalSocket }),
          fallback: write,
        })
      : (record: LogRecord) => {
          write(FORMATS[transport](record));
        };
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(level);

  const make = (bound: LogFields): Logger => {
    const emit = (at: LogLevel, message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(at) < threshold) return;
      const merged = fields === undefined ? bound : { ...bound, ...fields };
      output({ time: now(), level: at, logger: options.name, message, fields: redactFields(merged) });
    };
    return {
      debug: (message, fields) => {
        emit('debug', message, fields);
      },
      info: (message, fields) => {
        emit('info', message, fields);
      },
      warn: (message, fields) => {
        emit('warn', message, fields);
      },
      error: (message, fields) => {
        emit('error', message, fields);
      },
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}
