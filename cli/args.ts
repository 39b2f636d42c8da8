/**
 * Argument parsing shared by the subcommands, on commander. `TangleCommand` adds the tool's
 * conventions to commander's Command:
 *
 * - every usage error (commander's own: unknown option with its near-miss suggestion, missing
 *   value, unknown subcommand, too many arguments; and ours: a UsageError thrown by an action)
 *   is printed as `tangle <command>: <message>` followed by that command's help only, exit 2;
 * - `--help` on every command and subcommand prints its help on stdout, exit 0;
 * - an action's return value is the exit code (0 success, 1 failure); anything else it throws is a
 *   runtime failure (exit 1, printed by main).
 */
import { Command, CommanderError } from "commander";
import { Code, CodedError } from "../client/protocol/codes";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** A mistake in the command line: printed with the command's usage, exit code 2. */
export class UsageError extends CodedError<typeof Code.ERR_USAGE> {
  constructor(message: string) {
    super(Code.ERR_USAGE, message);
    this.name = "UsageError";
  }
}

/** Option values as commander hands them over (camelCase keys). */
export type Opts = Record<string, unknown>;

export class TangleCommand extends Command {
  /** The exit code the action returned (set on the root command). */
  result = EXIT_OK;

  constructor(name?: string) {
    super(name);
    this.exitOverride();
    this.showHelpAfterError();
    this.helpOption("-h, --help", "show this command's usage");
  }

  override createCommand(name?: string): TangleCommand {
    return new TangleCommand(name);
  }

  /** `tangle wallet send` */
  path(): string {
    const names: string[] = [];
    for (let c: Command | null = this; c; c = c.parent) names.unshift(c.name());
    return names.join(" ");
  }

  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    let text = message.replace(/^error: /, "");
    if (this.parent) text = text.replace(/^unknown command/, "unknown subcommand");
    return super.error(`${this.path()}: ${text}`, { code: errorOptions?.code ?? "tangle.usage", exitCode: EXIT_USAGE });
  }

  /** A group run without its subcommand: say so (with the group's usage), exit 2. */
  override help(contextOptions?: any): never {
    if (typeof contextOptions === "object" && contextOptions?.error && this.commands.length > 0) {
      const names = this.commands.map((c) => c.name());
      const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0];
      this.error(`which one? ${list}`);
    }
    return super.help(contextOptions);
  }

  /** Actions return their exit code; a UsageError they throw becomes this command's usage error. */
  override action(fn: (...args: any[]) => unknown): this {
    return super.action(async (...args: unknown[]) => {
      let code: unknown;
      try {
        code = await fn(...args);
      } catch (err) {
        if (err instanceof UsageError) this.error(err.message);
        throw err;
      }
      let root: Command = this;
      while (root.parent) root = root.parent;
      (root as TangleCommand).result = typeof code === "number" ? code : EXIT_OK;
    });
  }
}

/**
 * Runs a command tree on argv (without node and script). Returns the exit code; runtime errors
 * are thrown to the caller.
 */
export async function run(program: TangleCommand, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: "user" });
    return program.result;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw err;
  }
}

/** A string option, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A required string option: its value, or a UsageError that names it. */
export function required(opts: Opts, key: string, flag: string, what: string): string {
  const v = str(opts[key]);
  if (v === undefined || v === "") throw new UsageError(`${flag} ${what} is required`);
  return v;
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

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
