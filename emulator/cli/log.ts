// The CLI's logger: pino JSON lines on stderr, pretty-printed when stderr is a terminal.
// Logs are for the operator; results go to stdout.

import pino, { type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(level = process.env.RELOADED_LOG ?? 'info'): Logger {
  if (!LEVELS.includes(level)) throw new Error(`RELOADED_LOG=${level}: expected one of ${LEVELS.join(', ')}`);
  if (process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino({ level }, pino.destination(2));
}
