// The CLI's logger: pino JSON lines on stderr, pretty-printed when stderr is a terminal.
// Logs are for the operator; results go to stdout.

import pino, { type Logger } from 'pino';

export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A logger at `level` (a --log-level flag), else $RELOADED_LOG, else info. */
export function createLogger(flag?: string): Logger {
  const level = flag ?? process.env.RELOADED_LOG ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw new Error(`RELOADED_LOG=${level}: expected one of ${LOG_LEVELS.join(', ')}`);
  if (process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino({ level }, pino.destination(2));
}
