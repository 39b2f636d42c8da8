/** Argument parsing shared by the subcommands. */
import { parseArgs, ParseArgsConfig } from "node:util";

/** A mistake in the command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** parseArgs with our conventions: strict, no positionals unless asked. */
export function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

/** A string option, or undefined. */
export function str(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
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
