/**
 * `tangle snapshot create|verify|import` (docs/storage.md, "Snapshot files"), all offline:
 * `create` writes the ledger of a stopped node's data directory at its latest milestone (a full
 * file, or a delta from a full one); `verify` checks a file against a genesis alone, exit 0 valid,
 * 1 invalid naming the failed check by its code; `import` verifies a file (a delta with its base)
 * and builds a data directory from it that a node starts from. The work is in node/snapshot/; this file parses and
 * prints.
 */
import * as fs from "node:fs";
import { ConfigError } from "../node/config";
import { loadNetwork } from "../node/main";
import type { Genesis } from "../node/ledger/genesis";
import { createSnapshot, importSnapshot, SnapshotError, verifySnapshot } from "../node/snapshot";
import { EXIT_FAILURE, EXIT_OK, Opts, required, str, TangleCommand, UsageError } from "./args";
import { printJson } from "./wallet";

export function snapshotCommand(): TangleCommand {
  const snapshot = new TangleCommand("snapshot").description("ledger snapshots: write one from a stopped node's directory, check one against the genesis, start a data directory from one");
  snapshot
    .command("create")
    .description("write the ledger of a stopped node's data directory at its latest milestone to a snapshot file")
    .option("--data <DIR>", "the node's data directory (the node stopped)")
    .option("--out <FILE>", "the snapshot file to write")
    .option("--network <dev|FILE>", "the network's genesis (default dev)")
    .option("--delta-from <FILE>", "write a delta from this full snapshot instead of a full one")
    .option("--json", "print what was written as JSON")
    .action(create);
  snapshot
    .command("verify")
    .description("check a snapshot file offline against the network's genesis alone: exit 0 valid, 1 invalid")
    .argument("[FILE]", "the snapshot file")
    .option("--network <dev|FILE>", "the genesis to check against: dev, or a genesis.json")
    .option("--base <FILE>", "a delta's base: the full snapshot it applies to")
    .option("--json", "print the verdict as JSON")
    .action(verify);
  snapshot
    .command("import")
    .description("verify a snapshot file, then build an empty data directory from it; a node started there begins at its milestone")
    .argument("[FILE]", "the snapshot file (full, or a delta with --base)")
    .option("--data <DIR>", "the data directory to create (empty or absent)")
    .option("--base <FILE>", "a delta's base: the full snapshot it applies to")
    .option("--network <dev|FILE>", "the genesis to check against: dev, or a genesis.json")
    .option("--json", "print what was imported as JSON")
    .action(importCommand);
  return snapshot;
}

function genesisOf(network: string): Genesis {
  try {
    return loadNetwork({ network, coordinatorKey: undefined }).genesis;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function requiredNetwork(opts: Opts): Genesis {
  const network = str(opts.network);
  if (network === undefined) throw new UsageError("--network dev|FILE is required: the genesis the snapshot is checked against");
  return genesisOf(network);
}

function existingFile(file: string | undefined, what: string): string {
  if (file === undefined || file === "") throw new UsageError(`${what} is required`);
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  return file;
}

const plural = (n: number, word: string) => `${n} ${n === 1 ? word : word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`}`;

async function create(opts: Opts): Promise<number> {
  const data = required(opts, "data", "--data", "DIR");
  const out = required(opts, "out", "--out", "FILE");
  if (!fs.existsSync(`${data}/data.mdb`)) throw new UsageError(`--data ${data}: no database there (data.mdb missing)`);
  const deltaFrom = str(opts.deltaFrom);
  if (deltaFrom !== undefined) existingFile(deltaFrom, "--delta-from FILE");
  const genesis = genesisOf(str(opts.network) ?? "dev");
  const t0 = performance.now();
  let made;
  try {
    made = await createSnapshot(data, out, genesis, { deltaFrom });
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    process.stderr.write(`tangle snapshot create: ${err.code}: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  const ms = Math.round(performance.now() - t0);
  if (opts.json) printJson({ file: out, ...made, ms });
  else {
    const what = made.kind === "full" ? `${plural(made.entryRecords, "entry")}` : `${plural(made.deletedRecords, "deleted key")} and ${plural(made.entryRecords, "entry")} since milestone ${made.base!.index}`;
    process.stdout.write(
      `wrote ${out} (${made.kind}, ${made.bytes} bytes, ${ms} ms): milestone ${made.index} (${made.milestoneId}), ledger root ${made.ledgerRoot}, ${what}, ${plural(made.committeeChanges, "committee change")}\n`,
    );
  }
  return EXIT_OK;
}

async function verify(file: string | undefined, opts: Opts): Promise<number> {
  existingFile(file, "FILE");
  const genesis = requiredNetwork(opts);
  const base = str(opts.base);
  if (base !== undefined) existingFile(base, "--base FILE");
  const t0 = performance.now();
  const v = await verifySnapshot(file!, genesis, { base });
  const ms = Math.round(performance.now() - t0);
  if (opts.json) printJson({ file, network: genesis.networkName, ...v, ms });
  else if (v.ok) {
    process.stdout.write(
      `valid: ${v.kind} snapshot at milestone ${v.index} (${v.milestoneId}) of network ${genesis.networkName}${v.base ? `, on the full snapshot at ${v.base.index}` : ""}\n` +
        `  ledger root ${v.ledgerRoot} recomputed from ${plural(v.entries, "entry")} equals the one the committee signed; ${plural(v.committeeChanges, "committee change")} checked from the genesis; ` +
        `state hash ${v.stateHash}; milestone time ${new Date(v.timestamp).toISOString()}; ${plural(v.entryPoints, "solid entry point")} (not signed); ${v.bytes} bytes, checked in ${ms} ms\n`,
    );
  } else process.stdout.write(`invalid: ${v.code}: ${v.message}${v.index !== undefined ? ` (snapshot of milestone ${v.index})` : ""}\n`);
  return v.ok ? EXIT_OK : EXIT_FAILURE;
}

async function importCommand(file: string | undefined, opts: Opts): Promise<number> {
  existingFile(file, "FILE");
  const data = required(opts, "data", "--data", "DIR");
  const genesis = requiredNetwork(opts);
  const base = str(opts.base);
  if (base !== undefined) existingFile(base, "--base FILE");
  const t0 = performance.now();
  let s;
  try {
    s = await importSnapshot(file!, data, genesis, { base });
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    process.stderr.write(`tangle snapshot import: ${err.code}: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  const ms = Math.round(performance.now() - t0);
  if (opts.json) printJson({ file, data, ...s, ms });
  else process.stdout.write(`imported ${file} into ${data} in ${ms} ms: milestone ${s.index} (${s.milestoneId}), ledger root ${s.ledgerRoot}, ${plural(s.entries, "entry")}; a node started on ${data} begins at milestone ${s.index}\n`);
  return EXIT_OK;
}
