/**
 * `tangle check --data DIR [--network dev|FILE] [--json]`: checks a stopped node's database offline
 * (node/tools/check.ts): the file's structure (meta pages, sizes, every page read in a child
 * process), every transaction against its id, the milestone chain, a replay of the ledger against
 * the stored state hashes. Exit 0 clean, 1 damaged (a damaged file also says "database damaged: …"
 * on stderr), 2 usage.
 */
import * as fs from "node:fs";
import { ConfigError } from "../node/config";
import { loadNetwork } from "../node/main";
import { checkDatabase, CheckReport } from "../node/tools/check";
import { EXIT_FAILURE, EXIT_OK, Opts, required, str, TangleCommand, UsageError } from "./args";

export function checkCommand(): TangleCommand {
  return new TangleCommand("check")
    .description("check a stopped node's database offline: the file's pages, every transaction against its id, the milestone chain, a ledger replay")
    .option("--data <DIR>", "the node's data directory")
    .option("--network <dev|FILE>", "the network's genesis (default dev)")
    .option("--json", "print the report as JSON")
    .action(check);
}

async function check(opts: Opts): Promise<number> {
  const data = required(opts, "data", "--data", "DIR");
  if (!fs.existsSync(`${data}/data.mdb`)) throw new UsageError(`--data ${data}: no database there (data.mdb missing)`);
  let genesis;
  try {
    genesis = loadNetwork({ network: str(opts.network) ?? "dev", coordinatorKey: undefined }).genesis;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const report = await checkDatabase(data, genesis);
  if (report.fileDamage) process.stderr.write(`tangle check: ${report.fileDamage}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (!report.fileDamage) process.stdout.write(formatReport(report));
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

export function formatReport(r: CheckReport): string {
  if (r.fileDamage) return `${r.fileDamage}\n`;
  const lines = [`${r.transactions} transactions, ${r.milestones} milestones checked`];
  for (const d of r.damaged) lines.push(`damaged transaction ${d.id} (arrival ${d.seq}): ${d.why}`);
  for (const m of r.milestoneProblems) lines.push(`milestone ${m.index}: ${m.problem}`);
  for (const p of r.replayProblems) lines.push(`ledger replay: ${p}`);
  const partial = [r.snapshotIndex !== undefined ? `imported from a snapshot at milestone ${r.snapshotIndex}` : "", r.pruningIndex ? `pruned at and below milestone ${r.pruningIndex}` : ""].filter(Boolean).join(", ");
  lines.push(
    r.ok
      ? partial
        ? `ok: every transaction matches its id, the milestone chain holds, the ledger gives the roots milestone ${r.milestones} signs (state hash ${r.stateHash}; ${partial}: no replay from the genesis)`
        : `ok: every transaction matches its id, the milestone chain holds, the replayed ledger matches (state hash ${r.stateHash})`
      : "damaged: restore this directory from a backup or a snapshot, or move it away and sync a fresh one from peers (docs/operations.md, Faults)",
  );
  return `${lines.join("\n")}\n`;
}
