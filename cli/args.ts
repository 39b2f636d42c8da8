/** Argument parsing shared by the subcommands. */
import { parseArgs } from "node:util";

/** A mistake in the command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** parseArgs with our conventions: strict, no positionals unless asked. */
export function parse<T extends NonNullable<Parameters<typeof parseArgs>[0]>["options"]>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  return parseArgs({ args, options, strict: true, allowPositionals });
}

/** An integer option within bounds, or the default when absent. */
export function intOption(name: string, value: unknown, min: number, max: number, dflt?: number): number {
  if (value === undefined && dflt !== undefined) return dflt;
  const n = Number(value);
  if (value === undefined || typeof value !== "string" || !/^-?\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}${value === undefined ? "" : `, got '${String(value)}'`}`);
  }
  return n;
}
