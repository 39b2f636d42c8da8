/**
 * Structured logs (pino): JSON lines for machines, pretty single lines when stdout is a terminal.
 */
import pino, { Logger } from "pino";

export type { Logger };

export function createLogger(level = "info", pretty = Boolean(process.stdout.isTTY)): Logger {
  if (pretty) {
    return pino({ level, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" } } });
  }
  return pino({ level, base: undefined });
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
