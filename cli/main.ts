/**
 * The `tangle` command: argument parsing and dispatch. Each subcommand lives in its own file.
 * Output is for people by default; `--json` prints one JSON document for machines.
 */
import { powCommand } from "./pow";
import { benchCommand } from "./bench";
import { nodeCommand } from "./node";
import { walletCommand } from "./wallet";
import { gatewayCommand } from "./gateway";
import { streamCommand } from "./stream";
import { UsageError } from "./args";

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

Usage:
  tangle pow --root HEX --difficulty BITS [--threads N] [--json]
      Find a proof-of-work nonce for a 32-byte root (64 hex characters).
  tangle bench pow|tips|network|node|node-network|verify-bound|storage|all [--json FILE] [--quick]
               [--threads N] [--memory-limit MiB]
      Run benchmark suites; --json writes the results file (and SVG charts next to it).
  tangle node [--port 14265] [--host 127.0.0.1] [--data ./data] [--network dev|FILE]
              [--coordinator-key FILE|dev] [--peer URL ...] [--config FILE] [--help]
      Run a tangle node (\`tangle node --help\` lists every option).
  tangle wallet new|address|balance|send …   (\`tangle wallet --help\`)
      BIP-39 wallet: new mnemonic, addresses (bech32m), balances, sending with PoW and confirmation.
  tangle gateway publish|simulate …          (\`tangle gateway --help\`)
      Publish sensor readings through the on-disk outbox; simulate a fleet of city sensors.
  tangle stream verify ID|NAME …             (\`tangle stream --help\`)
      Check a stream's audit trail: signatures, hash links, gaps, confirmation.
  Wallet, gateway and stream commands take --node URL (default ws://127.0.0.1:14265) and --json.
  tangle --version | --help
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "pow":
        return await powCommand(rest);
      case "bench":
        return await benchCommand(rest);
      case "node":
        return await nodeCommand(rest);
      case "wallet":
        return await walletCommand(rest);
      case "gateway":
        return await gatewayCommand(rest);
      case "stream":
        return await streamCommand(rest);
      case "--version":
      case "-v":
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`tangle: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
