/** `tangle pow --root HEX --difficulty BITS [--threads N] [--json]` */
import { computePow, defaultThreads } from "../client/pow";
import { validatePow } from "../core-wasm/src/pow";
import { intOption, Opts, str, TangleCommand, UsageError } from "./args";
import { ProgressBar, si } from "./progress";

export function powCommand(): TangleCommand {
  return new TangleCommand("pow")
    .description("find a proof-of-work nonce for a 32-byte root")
    .option("--root <HEX>", "the root, 64 hex characters (required)")
    .option("--difficulty <BITS>", "difficulty in bits, 0 to 63 (required)")
    .option("--threads <N>", "worker threads (default: all cores)")
    .option("--json", "print {nonce, trials, ms, threads} as JSON (nonce as a decimal string)")
    .action(pow);
}

async function pow(opts: Opts): Promise<number> {
  const rootHex = str(opts.root);
  if (typeof rootHex !== "string" || !/^[0-9a-fA-F]{64}$/.test(rootHex)) {
    throw new UsageError("--root must be 64 hex characters (32 bytes)");
  }
  const difficulty = intOption("difficulty", opts.difficulty, 0, 63);
  const threads = intOption("threads", opts.threads, 1, 256, defaultThreads());
  const root = Uint8Array.from(Buffer.from(rootHex, "hex"));
  const expected = 2 ** difficulty;
  const bar = opts.json ? undefined : new ProgressBar(`PoW ${difficulty} bits`);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const result = await computePow(root, difficulty, {
      threads,
      signal: controller.signal,
      onProgress: (p) => bar?.update(1 - Math.exp(-p.trials / expected), `${si(p.rate)} trials/s`),
    });
    if (!result) throw new Error("no nonce found"); // only with maxTrials, which the CLI does not set
    if (!validatePow(root, result.nonce, difficulty)) throw new Error("internal error: found nonce does not verify");
    const ms = Math.round(result.ms);
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ nonce: result.nonce.toString(), trials: result.trials, ms, threads: result.threads }) + "\n",
      );
    } else {
      bar?.done(`${si((result.trials * 1000) / Math.max(result.ms, 1))} trials/s`);
      process.stdout.write(
        `nonce   ${result.nonce}\n` +
          `work    ${result.work.toString(16).padStart(16, "0")}\n` +
          `trials  ${result.trials}\n` +
          `ms      ${ms}\n` +
          `threads ${result.threads}\n`,
      );
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
