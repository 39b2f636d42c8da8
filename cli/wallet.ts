/**
 * `tangle wallet new|address|balance|send`, and the helpers the gateway and stream commands share
 * (node connection, mnemonic sources, JSON output).
 *
 * The mnemonic comes from exactly one of `--dev` (the dev network's public mnemonic, refused on any
 * other network), `--mnemonic-file FILE`, or the TANGLE_MNEMONIC environment variable. Amounts in
 * --json output are decimal strings: a u64 does not fit a double, and most JSON readers turn every
 * number into one.
 */
import * as fs from "node:fs";
import {
  ApiClient,
  DEV_MNEMONIC,
  encodeAddress,
  generateMnemonic,
  hrpForNetwork,
  parseAddress,
  toHex,
  validateMnemonic,
  Wallet,
  PowPool,
} from "../client/node";
import type { NodeInfo } from "../client/api/types";
import { Code } from "../client/protocol/codes";
import type { SendEvent } from "../client/wallet/wallet";
import { DEV_NETWORK_ID } from "../node/networks/dev";
import { EXIT_FAILURE, EXIT_INTERRUPTED, intOption, Opts, required, str, TangleCommand, UsageError } from "./args";
import { formatTable, ProgressBar, shortId, terminalColumns } from "./progress";

export const DEFAULT_NODE = "ws://127.0.0.1:14265";

const MNEMONIC_HELP = `
MNEMONIC is exactly one of: --dev (the dev network's public mnemonic; refused when the node or
--network is not the dev network), --mnemonic-file FILE (a warning when FILE is readable by group
or others: chmod 600 it), or the TANGLE_MNEMONIC environment variable.`;

// ---- shared helpers ---------------------------------------------------------------------------

/** JSON with bigints written as decimal strings (exact, and safe for every JSON reader). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

export function printJson(value: unknown): void {
  process.stdout.write(toJson(value) + "\n");
}

/** Adds --dev and --mnemonic-file (and the help note on mnemonic sources). */
export function withMnemonic(cmd: TangleCommand): TangleCommand {
  cmd.option("--dev", "use the dev network's public mnemonic (dev network only)");
  cmd.option("--mnemonic-file <FILE>", "read the mnemonic from FILE");
  cmd.addHelpText("after", MNEMONIC_HELP);
  return cmd;
}

/** Adds --node URL. */
export function withNode(cmd: TangleCommand): TangleCommand {
  return cmd.option("--node <URL>", `node WebSocket URL (default ${DEFAULT_NODE})`);
}

/** The mnemonic from --dev, --mnemonic-file or TANGLE_MNEMONIC; a UsageError when none, several or invalid. */
export function loadMnemonic(opts: Opts): string {
  const file = str(opts.mnemonicFile);
  const env = process.env.TANGLE_MNEMONIC;
  let mnemonic: string | undefined;
  let source: string;
  if (opts.dev === true) {
    if (file !== undefined) throw new UsageError("--dev and --mnemonic-file are two mnemonic sources: give one");
    if (env) throw new UsageError("--dev and TANGLE_MNEMONIC are two mnemonic sources: give one (unset TANGLE_MNEMONIC to use --dev)");
    mnemonic = DEV_MNEMONIC;
    source = "--dev";
  } else if (file !== undefined) {
    source = `--mnemonic-file ${file}`;
    try {
      mnemonic = fs.readFileSync(file, "utf8");
      const mode = fs.statSync(file).mode;
      if (process.platform !== "win32" && (mode & 0o077) !== 0) {
        process.stderr.write(`tangle: warning: ${file} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); anyone who can read it owns the funds: chmod 600 ${file}\n`);
      }
    } catch (err) {
      throw new UsageError(`${source}: ${(err as Error).message}`);
    }
  } else {
    mnemonic = env;
    source = "TANGLE_MNEMONIC";
  }
  if (!mnemonic || !mnemonic.trim()) throw new UsageError("no mnemonic: pass --dev, --mnemonic-file FILE, or set TANGLE_MNEMONIC");
  if (!validateMnemonic(mnemonic)) throw new UsageError(`${source}: not a valid BIP-39 mnemonic (unknown word, wrong length or checksum)`);
  return mnemonic;
}

export function nodeUrl(opts: Opts): string {
  const url = str(opts.node) ?? DEFAULT_NODE;
  if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--node must be a ws:// or wss:// URL, got '${url}'`);
  return url;
}

/** Whether a node's network is the built-in dev network. */
export const isDevNetwork = (info: Pick<NodeInfo, "networkName" | "networkId">): boolean => info.networkName === "dev" && info.networkId === DEV_NETWORK_ID;

/**
 * --dev signs with a key everyone knows: on any network but dev that hands the funds to anyone.
 * A UsageError (exit 2) when --dev is given and the node is on another network.
 */
export function checkDevNetwork(opts: Opts, info: Pick<NodeInfo, "networkName" | "networkId">, url: string): void {
  if (opts.dev === true && !isDevNetwork(info)) {
    throw new UsageError(
      `--dev uses the dev network's public mnemonic and works on the dev network only; the node at ${url} is on network '${info.networkName}' (id ${info.networkId}). Use --mnemonic-file FILE or TANGLE_MNEMONIC`,
    );
  }
}

/** A connected client, or an error a person can act on. */
export async function connectNode(url: string): Promise<ApiClient> {
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  if (tty) process.stderr.write(`waiting for the node at ${url}…\r`);
  try {
    return await ApiClient.connect(url, { connectTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000 } });
  } catch {
    throw new Error(`cannot reach a node at ${url} (is one running? \`npm start\` starts a dev node)`);
  } finally {
    if (tty) process.stderr.write("\x1b[K");
  }
}

/** Connects, reads the node's network, and refuses --dev off the dev network. */
export async function connectFor(opts: Opts): Promise<{ client: ApiClient; info: NodeInfo; hrp: string; url: string }> {
  const url = nodeUrl(opts);
  const client = await connectNode(url);
  try {
    const info = await client.getNodeInfo();
    checkDevNetwork(opts, info, url);
    return { client, info, hrp: hrpForNetwork(info.networkName), url };
  } catch (err) {
    client.close();
    throw err;
  }
}

/** Seconds as milliseconds, within bounds. */
export function secondsOption(name: string, value: unknown, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt * 1000;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max}, got '${String(value)}'`);
  return Math.round(n * 1000);
}

// ---- the commands -----------------------------------------------------------------------------

export function walletCommand(): TangleCommand {
  const wallet = new TangleCommand("wallet").description("BIP-39 wallet: new mnemonic, addresses (bech32m), balances, sending with PoW and confirmation");
  wallet.addHelpText("after", MNEMONIC_HELP);
  wallet
    .command("new")
    .description("a new recovery phrase and its first address")
    .option("--words <N>", "12, 15, 18, 21 or 24 words (default 24)")
    .option("--network <NAME>", "network of the address prefix (default dev: tdev1…)")
    .option("--json", "print {mnemonic, address} as JSON")
    .action(walletNew);
  withMnemonic(
    wallet
      .command("address")
      .description("an address of the wallet (offline)")
      .option("--index <N>", "address index (default 0)")
      .option("--account <N>", "BIP-44 account (default 0)")
      .option("--network <NAME>", "network of the address prefix (default dev: tdev1…)")
      .option("--json", "print address, index, path, hex and public key as JSON"),
  ).action(walletAddress);
  withMnemonic(
    withNode(
      wallet
        .command("balance")
        .description("confirmed and pending balance of the wallet, or of one ADDRESS (no mnemonic needed)")
        .argument("[ADDRESS]", "an address, bech32m or hex")
        .option("--account <N>", "BIP-44 account (default 0)")
        .option("--json", "print the balance as JSON (amounts as decimal strings)"),
    ),
  ).action(walletBalance);
  withMnemonic(
    withNode(
      wallet
        .command("send")
        .description("send an amount: plan, sign, proof of work, submit, wait for a milestone (reattaching when needed)")
        .option("--to <ADDRESS>", "recipient address (required)")
        .option("--amount <N>", "whole units, 1 to 2^64 - 1 (required)")
        .option("--no-wait", "return once submitted, without waiting for confirmation")
        .option("--timeout <SECONDS>", "how long to wait for confirmation (default 60)")
        .option("--account <N>", "BIP-44 account (default 0)")
        .option("--json", "print the result as JSON (amounts as decimal strings)"),
    ),
  ).action(walletSend);
  return wallet;
}

function networkHrp(opts: Opts): string {
  const network = str(opts.network) ?? "dev";
  if (opts.dev === true && network !== "dev") throw new UsageError(`--dev is the dev network's public mnemonic: it cannot be used with --network ${network}`);
  try {
    return hrpForNetwork(network);
  } catch (err) {
    throw new UsageError(`--network: ${(err as Error).message}`);
  }
}

async function walletNew(opts: Opts): Promise<number> {
  const words = intOption("words", opts.words, 12, 24, 24);
  if (![12, 15, 18, 21, 24].includes(words)) throw new UsageError(`--words must be 12, 15, 18, 21 or 24, got '${String(opts.words)}'`);
  const hrp = networkHrp(opts);
  const mnemonic = generateMnemonic(((words / 3) * 32) as 128 | 160 | 192 | 224 | 256);
  const address = Wallet.fromMnemonic(mnemonic).addressWith(hrp, 0);
  if (opts.json) printJson({ mnemonic, address });
  else {
    process.stdout.write(
      `Your new wallet's recovery phrase (${words} words). Write it down and keep it secret: anyone who\n` +
        `has it owns the funds.\n\n  ${mnemonic}\n\nFirst address (index 0):\n\n  ${address}\n\n` +
        `Save the phrase to a file readable only by you (chmod 600) and pass it with --mnemonic-file, or set TANGLE_MNEMONIC.\n`,
    );
  }
  return 0;
}

async function walletAddress(opts: Opts): Promise<number> {
  const index = intOption("index", opts.index, 0, 0x7fffffff, 0);
  const account = intOption("account", opts.account, 0, 0x7fffffff, 0);
  const hrp = networkHrp(opts);
  const wallet = Wallet.fromMnemonic(loadMnemonic(opts), { account });
  const key = wallet.key(index);
  const address = encodeAddress(key.address, hrp);
  if (opts.json) printJson({ address, index, account, path: key.path, hex: toHex(key.address), publicKey: toHex(key.keyPair.publicKey) });
  else process.stdout.write(`${address}\n`);
  return 0;
}

async function walletBalance(addressArg: string | undefined, opts: Opts): Promise<number> {
  nodeUrl(opts);
  const account = intOption("account", opts.account, 0, 0x7fffffff, 0);
  const mnemonic = addressArg === undefined ? loadMnemonic(opts) : undefined;
  const { client, hrp } = await connectFor(opts);
  try {
    if (addressArg !== undefined) {
      let addr: Uint8Array;
      try {
        addr = parseAddress(addressArg, hrp);
      } catch (err) {
        throw new UsageError(`ADDRESS: ${(err as Error).message}`);
      }
      const b = await client.getBalance(addr);
      const address = encodeAddress(addr, hrp);
      const pending = b.pending.incoming - b.pending.outgoing;
      if (opts.json) printJson({ address, confirmed: b.confirmed, pending, pendingIncoming: b.pending.incoming, pendingOutgoing: b.pending.outgoing });
      else process.stdout.write(formatTable(["address", "confirmed", "pending in", "pending out"], [[address, b.confirmed.toString(), b.pending.incoming.toString(), b.pending.outgoing.toString()]], terminalColumns()) + "\n");
      return 0;
    }
    const wallet = Wallet.fromMnemonic(mnemonic!, { client, account, hrp });
    const b = await wallet.balance();
    const pending = b.pending.incoming - b.pending.outgoing;
    // Generic over whatever addresses the wallet reports (every field but the amounts passes through).
    const used = b.addresses.filter((a) => a.confirmed > 0n || a.pending.incoming > 0n || a.pending.outgoing > 0n);
    if (opts.json) {
      printJson({
        address: b.addresses[0]?.address,
        confirmed: b.confirmed,
        pending,
        pendingIncoming: b.pending.incoming,
        pendingOutgoing: b.pending.outgoing,
        addresses: used.map(({ pending: p, ...a }) => ({ ...a, pendingIncoming: p.incoming, pendingOutgoing: p.outgoing })),
      });
    } else {
      // External and internal (change) addresses share index numbers: name the chain with the index.
      const where = (a: { index: number; chain?: string }) => (a.chain ? `${a.chain} ${a.index}` : String(a.index));
      const rows = used.map((a) => [where(a), a.address, a.pending.incoming - a.pending.outgoing === 0n ? "" : (a.pending.incoming - a.pending.outgoing).toString(), a.confirmed.toString()]);
      rows.push(["", "total", pending === 0n ? "" : pending.toString(), b.confirmed.toString()]);
      process.stdout.write(formatTable(["key", "address", "pending", "confirmed"], rows, terminalColumns()) + "\n");
    }
    return 0;
  } finally {
    client.close();
  }
}

/** What a person should know when `wallet send` is interrupted, by how far it got. */
export function interruptedSendMessage(submitted: string[], planned: number): string {
  if (submitted.length === 0) {
    return "tangle: interrupted before the transfer was submitted: it will not confirm and nothing was sent.\n";
  }
  const ids = submitted.map((id) => `  ${id}`).join("\n");
  const rest = planned > submitted.length ? `\n${planned - submitted.length} more transfer${planned - submitted.length > 1 ? "s were" : " was"} not submitted and will not confirm.` : "";
  return (
    `tangle: interrupted after submitting ${submitted.length === 1 ? "the transfer" : `${submitted.length} transfers`}: ${submitted.length === 1 ? "it" : "they"} may still confirm.\n` +
    `${ids}${rest}\nCheck with \`tangle wallet balance\` (pending, then confirmed), or look the transaction id up on the node.\n`
  );
}

async function walletSend(opts: Opts): Promise<number> {
  const to = required(opts, "to", "--to", "ADDRESS");
  const amountText = str(opts.amount);
  if (!amountText || !/^\d+$/.test(amountText) || BigInt(amountText) < 1n || BigInt(amountText) > (1n << 64n) - 1n) throw new UsageError(`--amount must be a whole number from 1 to 2^64 - 1, got '${amountText ?? ""}'`);
  const amount = BigInt(amountText);
  const timeoutMs = secondsOption("timeout", opts.timeout, 1, 3600, 60);
  const account = intOption("account", opts.account, 0, 0x7fffffff, 0);
  const noWait = opts.wait === false;
  nodeUrl(opts);
  const mnemonic = loadMnemonic(opts);
  const { client, hrp } = await connectFor(opts);
  const pow = new PowPool();
  const submitted: string[] = [];
  let planned = 1;
  // Ctrl-C: say whether the transfer may still confirm, then exit 130.
  const onSigint = () => {
    if (!opts.json && process.stderr.isTTY) process.stderr.write("\n");
    fs.writeSync(2, interruptedSendMessage(submitted, planned));
    process.exit(EXIT_INTERRUPTED);
  };
  process.on("SIGINT", onSigint);
  try {
    try {
      parseAddress(to, hrp);
    } catch (err) {
      throw new UsageError(`--to: ${(err as Error).message}`);
    }
    const wallet = Wallet.fromMnemonic(mnemonic, { client, account, hrp, attach: { pow } });
    const people = !opts.json;
    const powBar = people ? new ProgressBar("proof of work ") : undefined;
    const waitBar = people ? new ProgressBar("confirmation  ") : undefined;
    const note = (line: string) => people && process.stderr.write(`${line}\n`);
    const onEvent = (e: SendEvent) => {
      if (e.type === "planned") {
        planned = e.plan.transfers.length;
        note(`sending ${e.plan.amount} in ${planned} transfer${planned > 1 ? "s" : ""}`);
      } else if (e.type === "attach" && e.event.type === "pow" && e.event.progress) powBar?.update(1 - Math.exp(-e.event.progress.trials / 2 ** e.event.difficulty), `${e.event.difficulty} bits`);
      else if (e.type === "attach" && e.event.type === "retry") note(`the node is busy (${e.event.code}); retrying in ${Math.round(e.event.delayMs)} ms`);
      else if (e.type === "submitted") {
        submitted.push(e.id);
        powBar?.done("done");
        note(`submitted ${e.id}`);
        if (!noWait) waitBar?.update(0, "waiting for the next milestone");
      } else if (e.type === "confirm" && e.event.type === "milestone") waitBar?.update(Math.min(0.95, e.event.waited / 6), `milestone ${e.event.index} passed without confirming it (${e.event.waited} since it was attached)`);
      else if (e.type === "confirm" && e.event.type === "reattach") note(`reattaching: ${e.event.reason}`);
      else if (e.type === "confirm" && e.event.type === "reattached") {
        submitted.push(e.event.id);
        note(`reattached as ${e.event.id}; waiting for a milestone`);
      } else if (e.type === "confirm" && e.event.type === "confirmed" && e.event.conflict === null) waitBar?.done(`milestone ${e.event.milestoneIndex}`);
    };
    const r = await wallet.send({ to, amount, wait: !noWait, onEvent, confirm: { timeoutMs } });
    if (opts.json) {
      printJson({
        id: r.id,
        confirmed: r.confirmed,
        amount,
        to: encodeAddress(parseAddress(to, hrp), hrp),
        remainderAddress: r.remainderAddress,
        transfers: r.transfers.map((t) => ({ id: t.id, attachments: t.attachments, confirmed: t.confirmed, milestoneIndex: t.milestoneIndex, amount: t.amount, remainder: t.remainder })),
      });
    } else {
      const rows = r.transfers.map((t) => [shortId(t.id), t.confirmed ? `milestone ${t.milestoneIndex}` : noWait ? "submitted" : "not yet", String(t.attachments.length), t.amount.toString()]);
      process.stdout.write(formatTable(["transaction", "confirmed", "attachments", "amount"], rows, terminalColumns()) + "\n");
      if (r.remainderAddress) process.stdout.write(`remainder to ${r.remainderAddress}\n`);
      process.stdout.write(`${r.id}\n`);
      if (!r.confirmed && !noWait) process.stderr.write(`tangle: not confirmed within ${timeoutMs / 1000} s; it may still confirm: check with \`tangle wallet balance\`\n`);
    }
    return r.confirmed || noWait ? 0 : EXIT_FAILURE;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === Code.ERR_WALLET_INSUFFICIENT_FUNDS || code === Code.ERR_WALLET_AMOUNT) {
      process.stderr.write(`tangle: ${(err as Error).message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    await pow.close();
    client.close();
  }
}
