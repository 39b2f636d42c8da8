/**
 * `tangle node compact --data DIR [--json]`: rewrites a stopped node's database without its free
 * pages (node/pruning/compact.ts) and reports the file's size before and after. Exit 0 done,
 * 1 failure (a running node's directory: ERR_DATA_DIR_IN_USE), 2 usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { compactDatabase } from "../node/pruning/compact";
import { DirLockedError } from "../node/storage/dir-lock";
import { EXIT_FAILURE, EXIT_OK, Opts, str, TangleCommand, UsageError } from "./args";

export function compactCommand(): TangleCommand {
  return new TangleCommand("compact")
    .description("rewrite a stopped node's database without its free pages (LMDB never shrinks its file; after pruning it holds free pages)")
    .option("--data <DIR>", "the node's data directory")
    .option("--json", "print {bytesBefore, bytesAfter, ms} as JSON")
    .action(compact);
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function compact(opts: Opts, cmd: Command): Promise<number> {
  // `--data` is also an option of `tangle node`, which may take it before this command sees it.
  const data = str(opts.data) ?? str(cmd.parent?.opts().data);
  if (!data) throw new UsageError("--data DIR is required");
  if (!fs.existsSync(path.join(data, "data.mdb"))) throw new UsageError(`--data ${data}: no database there (data.mdb missing)`);
  try {
    const r = await compactDatabase(data);
    if (opts.json) process.stdout.write(`${JSON.stringify({ bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, ms: Math.round(r.ms) })}\n`);
    else process.stdout.write(`compacted ${data}: ${mib(r.bytesBefore)} -> ${mib(r.bytesAfter)} (${r.bytesBefore} -> ${r.bytesAfter} bytes) in ${Math.round(r.ms)} ms\n`);
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof DirLockedError)) throw err;
    process.stderr.write(`tangle node compact: ${err.message} (${err.code})\n`);
    return EXIT_FAILURE;
  }
}
