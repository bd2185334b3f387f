// Line formats: JSON (one object per line, for log collectors), text (for a person at a terminal) and journald's
// stream format (`<priority>message key=value`, parsed by systemd with SyslogLevelPrefix=yes, the default).
import type { LogLevel } from './logger.js';

export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly logger: string;
  readonly message: string;
  /** Already redacted. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** syslog(3) priorities for our levels. */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { debug: 7, info: 6, warn: 4, error: 3 };

/** One line per call: newlines inside a message would split a journald entry, so they are escaped. */
function singleLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

function keyValues(fields: Readonly<Record<string, unknown>>): string {
  return Object.entries(fields)
    .map(([key, value]) => ` ${key}=${formatValue(value)}`)
    .join('');
}

export function formatJson(record: LogRecord): string {
  return JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    logger: record.logger,
    msg: record.message,
    ...record.fields,
  });
}

export function formatText(record: LogRecord): string {
  const level = record.level.toUpperCase().padEnd(5);
  return `${record.time.toISOString()} ${level} ${record.logger}: ${singleLine(record.message)}${keyValues(record.fields)}`;
}

/** journald adds time, unit and PID itself. */
export function formatJournald(record: LogRecord): string {
  return `<${SYSLOG_PRIORITY[record.level]}>${record.logger}: ${singleLine(record.message)}${keyValues(record.fields)}`;
}
