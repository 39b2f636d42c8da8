/**
 * `tangle wallet new|address|balance|send`, and the helpers the gateway and stream commands share
 * (node connection, mnemonic sources, JSON with exact integers).
 *
 * The mnemonic comes from `--dev` (the dev network's public mnemonic), `--mnemonic-file FILE`, or
 * the TANGLE_MNEMONIC environment variable, in that order. Amounts in --json output are JSON
 * integers written out exactly (u64 does not fit a double; we print the digits).
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
import type { SendEvent } from "../client/wallet/wallet";
import { intOption, parse, str, UsageError } from "./args";
import { formatTable, ProgressBar } from "./progress";

export const DEFAULT_NODE = "ws://127.0.0.1:14265";

export const USAGE_WALLET = `Usage:
  tangle wallet new [--words 12|24] [--network NAME] [--json]
  tangle wallet address [--index N] [--account N] [--network NAME] [MNEMONIC] [--json]
  tangle wallet balance [ADDRESS] [--node URL] [MNEMONIC] [--json]
  tangle wallet send --to ADDRESS --amount N [--no-wait] [--timeout SECONDS] [--node URL] [MNEMONIC] [--json]

MNEMONIC is one of: --dev (the dev network's public mnemonic), --mnemonic-file FILE, or the
TANGLE_MNEMONIC environment variable. --network NAME sets the address prefix offline (default dev:
tdev1…); commands that talk to a node use the node's network. --node defaults to ${DEFAULT_NODE}.
`;

// ---- shared helpers ---------------------------------------------------------------------------

/** JSON with bigints written as exact integers. */
export function toJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v !== "bigint") return v;
    marks.push(v.toString());
    return `\u0000big${marks.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}

export function printJson(value: unknown): void {
  process.stdout.write(toJson(value) + "\n");
}

/** The options every command that reads a mnemonic accepts. */
export const MNEMONIC_OPTIONS = {
  dev: { type: "boolean" },
  "mnemonic-file": { type: "string" },
} as const;

/** The mnemonic from --dev, --mnemonic-file or TANGLE_MNEMONIC; a UsageError when none or invalid. */
export function loadMnemonic(values: Record<string, string | boolean | undefined>): string {
  let mnemonic: string | undefined;
  let source: string;
  if (values.dev === true) {
    mnemonic = DEV_MNEMONIC;
    source = "--dev";
  } else if (typeof values["mnemonic-file"] === "string") {
    source = `--mnemonic-file ${values["mnemonic-file"]}`;
    try {
      mnemonic = fs.readFileSync(values["mnemonic-file"], "utf8");
    } catch (err) {
      throw new UsageError(`${source}: ${(err as Error).message}`);
    }
  } else {
    mnemonic = process.env.TANGLE_MNEMONIC;
    source = "TANGLE_MNEMONIC";
  }
  if (!mnemonic || !mnemonic.trim()) throw new UsageError("no mnemonic: pass --dev, --mnemonic-file FILE, or set TANGLE_MNEMONIC");
  if (!validateMnemonic(mnemonic)) throw new UsageError(`${source}: not a valid BIP-39 mnemonic (unknown word, wrong length or checksum)`);
  return mnemonic;
}

export function nodeUrl(values: Record<string, string | boolean | undefined>): string {
  const url = str(values.node) ?? DEFAULT_NODE;
  if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--node must be a ws:// or wss:// URL, got '${url}'`);
  return url;
}

/** A connected client, or an error a person can act on. */
export async function connectNode(url: string): Promise<ApiClient> {
  try {
    return await ApiClient.connect(url, { connectTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000 } });
  } catch {
    throw new Error(`cannot reach a node at ${url} (is one running? \`npm start\` starts a dev node)`);
  }
}

/** Seconds as milliseconds, within bounds. */
export function secondsOption(name: string, value: unknown, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt * 1000;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max}, got '${String(value)}'`);
  return Math.round(n * 1000);
}

const shortId = (id: string) => `${id.slice(0, 12)}…`;

// ---- the commands -----------------------------------------------------------------------------

export async function walletCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "new":
      return walletNew(rest);
    case "address":
      return walletAddress(rest);
    case "balance":
      return walletBalance(rest);
    case "send":
      return walletSend(rest);
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(USAGE_WALLET);
      return 0;
    default:
      throw new UsageError(sub === undefined ? "wallet: which one? new, address, balance or send" : `wallet: unknown subcommand '${sub}'`);
  }
}

function networkHrp(values: Record<string, string | boolean | undefined>): string {
  const network = str(values.network) ?? "dev";
  try {
    return hrpForNetwork(network);
  } catch (err) {
    throw new UsageError(`--network: ${(err as Error).message}`);
  }
}

async function walletNew(args: string[]): Promise<number> {
  const { values } = parse(args, { words: { type: "string" }, network: { type: "string" }, json: { type: "boolean", default: false } });
  const words = intOption("words", values.words, 12, 24, 24);
  if (![12, 15, 18, 21, 24].includes(words)) throw new UsageError(`--words must be 12, 15, 18, 21 or 24, got '${String(values.words)}'`);
  const mnemonic = generateMnemonic(((words / 3) * 32) as 128 | 160 | 192 | 224 | 256);
  const address = Wallet.fromMnemonic(mnemonic).addressWith(networkHrp(values), 0);
  if (values.json) printJson({ mnemonic, address });
  else {
    process.stdout.write(
      `Your new wallet's recovery phrase (${words} words). Write it down and keep it secret: anyone who\n` +
        `has it owns the funds.\n\n  ${mnemonic}\n\nFirst address (index 0):\n\n  ${address}\n\n` +
        `Save the phrase to a file readable only by you and pass it with --mnemonic-file, or set TANGLE_MNEMONIC.\n`,
    );
  }
  return 0;
}

async function walletAddress(args: string[]): Promise<number> {
  const { values } = parse(args, { ...MNEMONIC_OPTIONS, index: { type: "string" }, account: { type: "string" }, network: { type: "string" }, json: { type: "boolean", default: false } });
  const index = intOption("index", values.index, 0, 0x7fffffff, 0);
  const account = intOption("account", values.account, 0, 0x7fffffff, 0);
  const wallet = Wallet.fromMnemonic(loadMnemonic(values), { account });
  const key = wallet.key(index);
  const address = encodeAddress(key.address, networkHrp(values));
  if (values.json) printJson({ address, index, account, path: key.path, hex: toHex(key.address), publicKey: toHex(key.keyPair.publicKey) });
  else process.stdout.write(`${address}\n`);
  return 0;
}

async function walletBalance(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...MNEMONIC_OPTIONS, node: { type: "string" }, account: { type: "string" }, json: { type: "boolean", default: false } }, true);
  if (positionals.length > 1) throw new UsageError("wallet balance takes at most one ADDRESS");
  const url = nodeUrl(values);
  const account = intOption("account", values.account, 0, 0x7fffffff, 0);
  const mnemonic = positionals.length === 0 ? loadMnemonic(values) : undefined;
  const client = await connectNode(url);
  try {
    const hrp = hrpForNetwork((await client.getNodeInfo()).networkName);
    if (positionals.length === 1) {
      let addr: Uint8Array;
      try {
        addr = parseAddress(positionals[0], hrp);
      } catch (err) {
        throw new UsageError(`ADDRESS: ${(err as Error).message}`);
      }
      const b = await client.getBalance(addr);
      const address = encodeAddress(addr, hrp);
      const pending = b.pending.incoming - b.pending.outgoing;
      if (values.json) printJson({ address, confirmed: b.confirmed, pending, pendingIncoming: b.pending.incoming, pendingOutgoing: b.pending.outgoing });
      else process.stdout.write(formatTable(["address", "confirmed", "pending in", "pending out"], [[address, b.confirmed.toString(), b.pending.incoming.toString(), b.pending.outgoing.toString()]]) + "\n");
      return 0;
    }
    const wallet = Wallet.fromMnemonic(mnemonic!, { client, account, hrp });
    const b = await wallet.balance();
    const pending = b.pending.incoming - b.pending.outgoing;
    const used = b.addresses.filter((a) => a.confirmed > 0n || a.pending.incoming > 0n || a.pending.outgoing > 0n);
    if (values.json) {
      printJson({
        address: b.addresses[0].address,
        confirmed: b.confirmed,
        pending,
        pendingIncoming: b.pending.incoming,
        pendingOutgoing: b.pending.outgoing,
        addresses: used.map((a) => ({ index: a.index, address: a.address, confirmed: a.confirmed, pendingIncoming: a.pending.incoming, pendingOutgoing: a.pending.outgoing })),
      });
    } else {
      const rows = used.map((a) => [String(a.index), a.address, a.pending.incoming - a.pending.outgoing === 0n ? "" : (a.pending.incoming - a.pending.outgoing).toString(), a.confirmed.toString()]);
      rows.push(["", "total", pending === 0n ? "" : pending.toString(), b.confirmed.toString()]);
      process.stdout.write(formatTable(["index", "address", "pending", "confirmed"], rows) + "\n");
    }
    return 0;
  } finally {
    client.close();
  }
}

async function walletSend(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...MNEMONIC_OPTIONS,
    to: { type: "string" },
    amount: { type: "string" },
    node: { type: "string" },
    account: { type: "string" },
    "no-wait": { type: "boolean", default: false },
    timeout: { type: "string" },
    json: { type: "boolean", default: false },
  });
  const to = str(values.to);
  if (!to) throw new UsageError("--to ADDRESS is required");
  const amountText = str(values.amount);
  if (!amountText || !/^\d+$/.test(amountText) || BigInt(amountText) < 1n || BigInt(amountText) > (1n << 64n) - 1n) throw new UsageError(`--amount must be a whole number from 1 to 2^64 - 1, got '${amountText ?? ""}'`);
  const amount = BigInt(amountText);
  const timeoutMs = secondsOption("timeout", values.timeout, 1, 3600, 60);
  const account = intOption("account", values.account, 0, 0x7fffffff, 0);
  const url = nodeUrl(values);
  const mnemonic = loadMnemonic(values);
  const client = await connectNode(url);
  const pow = new PowPool();
  try {
    const hrp = hrpForNetwork((await client.getNodeInfo()).networkName);
    try {
      parseAddress(to, hrp);
    } catch (err) {
      throw new UsageError(`--to: ${(err as Error).message}`);
    }
    const wallet = Wallet.fromMnemonic(mnemonic, { client, account, hrp, attach: { pow } });
    const people = !values.json;
    const powBar = people ? new ProgressBar("proof of work ") : undefined;
    const waitBar = people ? new ProgressBar("confirmation  ") : undefined;
    const note = (line: string) => people && process.stderr.write(`${line}\n`);
    const onEvent = (e: SendEvent) => {
      if (e.type === "planned") note(`sending ${e.plan.amount} in ${e.plan.transfers.length} transfer${e.plan.transfers.length > 1 ? "s" : ""}`);
      else if (e.type === "attach" && e.event.type === "pow" && e.event.progress) powBar?.update(1 - Math.exp(-e.event.progress.trials / 2 ** e.event.difficulty), `${e.event.difficulty} bits`);
      else if (e.type === "submitted") {
        powBar?.done("done");
        note(`submitted ${e.id}`);
      } else if (e.type === "confirm" && e.event.type === "milestone") waitBar?.update(Math.min(0.95, e.event.waited / 6), `milestone ${e.event.index}`);
      else if (e.type === "confirm" && e.event.type === "reattach") note(`reattaching: ${e.event.reason}`);
      else if (e.type === "confirm" && e.event.type === "confirmed" && e.event.conflict === null) waitBar?.done(`milestone ${e.event.milestoneIndex}`);
    };
    const r = await wallet.send({ to, amount, wait: !values["no-wait"], onEvent, confirm: { timeoutMs } });
    if (values.json) {
      printJson({
        id: r.id,
        confirmed: r.confirmed,
        amount,
        to: encodeAddress(parseAddress(to, hrp), hrp),
        remainderAddress: r.remainderAddress,
        transfers: r.transfers.map((t) => ({ id: t.id, attachments: t.attachments, confirmed: t.confirmed, milestoneIndex: t.milestoneIndex, amount: t.amount, remainder: t.remainder })),
      });
    } else {
      const rows = r.transfers.map((t) => [shortId(t.id), t.confirmed ? `milestone ${t.milestoneIndex}` : values["no-wait"] ? "submitted" : "not yet", String(t.attachments.length), t.amount.toString()]);
      process.stdout.write(formatTable(["transaction", "confirmed", "attachments", "amount"], rows) + "\n");
      if (r.remainderAddress) process.stdout.write(`remainder to ${r.remainderAddress}\n`);
      process.stdout.write(`${r.id}\n`);
    }
    return r.confirmed || values["no-wait"] ? 0 : 1;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_WALLET_INSUFFICIENT_FUNDS" || code === "ERR_WALLET_AMOUNT") {
      process.stderr.write(`tangle: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await pow.close();
    client.close();
  }
}
