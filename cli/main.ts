/**
 * The `tangle` command: the command tree (commander) and the top-level error handler. Each command
 * lives in its own file and returns its commander definition. Output is for people by default;
 * `--json` prints one JSON document for machines. Exit codes: 0 success, 1 failure, 2 usage
 * (cli/args.ts), 130 interrupted.
 */
import { powCommand } from "./pow";
import { benchCommand } from "./bench";
import { nodeCommand } from "./node";
import { checkCommand } from "./check";
import { walletCommand } from "./wallet";
import { gatewayCommand } from "./gateway";
import { streamCommand } from "./stream";
import { peersCommand } from "./peers";
import { committeeCommand } from "./committee";
import { proofCommand } from "./proof";
import { snapshotCommand } from "./snapshot";
import { networkCommand, keyCommand } from "./network";
import { EXIT_FAILURE, run, TangleCommand } from "./args";

import * as fs from "node:fs";
import * as path from "node:path";

/** The package version, found from the sources (cli/) and from the build (dist/cli/) alike. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")).version;
  }
  return "unknown";
}

const VERSION = packageVersion();

const USAGE = `tangle ${VERSION} — feeless tangle ledger for smart-city IoT

Usage: tangle <command> [options]     (\`tangle <command> --help\` for each command's options)

  tangle node [--network dev|FILE] [--coordinator-key FILE|dev] [--port 14265] [--data ./data] …
      Run a tangle node (\`tangle node --help\` lists every option, its default and env variable).
  tangle node compact --data DIR [--json]
      Rewrite a stopped node's database without its free pages (after pruning); sizes before/after.
  tangle network init --out DIR [--name NAME] [--supply N] [--to ADDRESS] [--interval-ms MS]
                      [--difficulty BITS]
      Make a new network: DIR/genesis.json, the coordinator key, and the commands that start it.
  tangle key new [--out FILE] | tangle key show FILE
      Make an Ed25519 key file (a coordinator key); show a key file's public key and address.
  tangle committee status | change --members K1,K2,… --threshold K --effective-index N
                   --admin-token T | cancel --admin-token T     [--node URL] [--json]
      Every committee since genesis; queue (or cancel) a committee change on a member's node.
  tangle check --data DIR [--network dev|FILE] [--json]
      Check a stopped node's database: the file's pages (never a crash on a damaged one), every
      transaction against its id, the milestone chain, a replay of the ledger; exit 1 naming what
      is damaged.
  tangle wallet new|address|balance|send …     (\`tangle wallet <subcommand> --help\`)
      BIP-39 wallet: new mnemonic, addresses (bech32m), balances, sending with PoW and confirmation.
  tangle gateway publish|flush|simulate …      (\`tangle gateway <subcommand> --help\`)
      Publish sensor readings through the on-disk outbox (queued while the node is down), send what
      it holds; simulate a fleet of city sensors.
  tangle stream verify ID|NAME …
      Check a stream's audit trail: signatures, hash links, gaps, confirmation.
  tangle proof get ID [--node URL] --out FILE [--binary] | verify FILE --network dev|FILE
      Write a confirmed transaction's inclusion proof to a file; check one offline against the
      genesis, with no node (exit 0 valid, 1 invalid, naming what fails).
  tangle snapshot create --data DIR --out FILE [--network dev|FILE] [--delta-from FULL]
                  | verify FILE --network dev|FILE [--base FULL]
                  | import FILE --data DIR --network dev|FILE [--base FULL]
      Ledger snapshots, offline: write one from a stopped node, check one against the genesis
      alone (exit 1 naming what fails), start an empty data directory from one.
  tangle peers [--node URL] [--json]
      The node's peers: connected or not, traffic, and why the last connection failed.
  tangle pow --root HEX --difficulty BITS [--threads N] [--json]
      Find a proof-of-work nonce for a 32-byte root (64 hex characters).
  tangle bench pow|tips|network|node|node-network|verify-bound|storage|all [--json FILE] [--quick]
      Run benchmark suites; --json writes the results file (and SVG charts next to it).
  tangle --version | --help

Wallet, gateway and stream commands take --node URL (default ws://127.0.0.1:14265) and --json
(amounts as decimal strings). Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
`;

export function program(): TangleCommand {
  const root = new TangleCommand("tangle").version(VERSION, "-v, --version", "print the version");
  root.helpInformation = () => USAGE;
  for (const c of [nodeCommand(), checkCommand(), networkCommand(), keyCommand(), walletCommand(), gatewayCommand(), streamCommand(), peersCommand(), committeeCommand(), proofCommand(), snapshotCommand(), powCommand(), benchCommand()]) root.addCommand(c);
  return root;
}

export async function main(argv: string[]): Promise<number> {
  return run(program(), argv);
}

/** One line for any thrown value: errors with a string or numeric code (lmdb's are numbers), or not errors at all. */
export function describeError(err: unknown): string {
  if (err instanceof Error || (typeof err === "object" && err !== null && "message" in err)) {
    const e = err as { message?: unknown; code?: unknown };
    const message = String(e.message);
    const code = typeof e.code === "string" || typeof e.code === "number" ? String(e.code) : "";
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
  try {
    return typeof err === "string" ? err : `${String(err)}${typeof err === "object" && err !== null ? ` ${JSON.stringify(err)}` : ""}`;
  } catch {
    return "unknown error";
  }
}

export { EXIT_FAILURE };
