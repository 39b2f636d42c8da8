/**
 * `tangle network init` (a new network's genesis and its committee's keys, no code needed) and
 * `tangle key new|show` (Ed25519 key files in the format `tangle node --coordinator-key` reads:
 * the 32-byte seed as 64 hex characters and a newline, mode 0600).
 *
 * Layout of a network directory (docs/operations.md, "A network of your own" and "Committee"):
 *
 *   DIR/genesis.json             the network and its committee (node/ledger/genesis.ts reads it)
 *   DIR/committee-1.key          milestone signing key of committee member 1 (… committee-N.key)
 *   DIR/keys/genesis.mnemonic    the wallet that owns the supply, when --to was not given
 */
import { randomBytes, randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeAddress, encodeAddress, generateMnemonic, hrpForNetwork, toHex, Wallet } from "../client/node";
import { fromHex } from "../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../client/protocol/keys";
import { MAX_AMOUNT } from "../client/protocol/limits";
import { defaultThreshold, Genesis, MAX_BASE_DIFFICULTY, MAX_COMMITTEE_MEMBERS, minThreshold, MAX_MILESTONE_INTERVAL_MS, MIN_MILESTONE_INTERVAL_MS, parseGenesis, validateGenesis } from "../node/ledger/genesis";
import { DEV_BASE_DIFFICULTY, DEV_NETWORK_ID, DEV_SUPPLY, devGenesis } from "../node/networks/dev";
import { intOption, Opts, required, str, TangleCommand, UsageError } from "./args";
import { printJson } from "./wallet";

export const GENESIS_FILE = "genesis.json";
export const KEYS_DIR = "keys";
/** Key file of committee member i, 1-based: member i is the genesis's `committee.members[i - 1]`. */
export const committeeKeyFile = (i: number): string => `committee-${i}.key`;
export const GENESIS_MNEMONIC_FILE = path.join(KEYS_DIR, "genesis.mnemonic");
export const DEFAULT_INTERVAL_MS = 1000;

/** Writes a new file readable only by its owner; refuses to replace an existing one. */
function writePrivate(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, text, { flag: "wx", mode: 0o600 });
  fs.chmodSync(file, 0o600); // the umask may have removed bits, never added any; be explicit
}

/** A key file's seed: 64 hex characters (surrounding white space ignored). */
export function readKeyFile(file: string): Uint8Array {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new UsageError(`${file}: not a key file (a 32-byte seed as 64 hex characters)`);
  return fromHex(text);
}

// ---- tangle network ----------------------------------------------------------------------------

export function networkCommand(): TangleCommand {
  const network = new TangleCommand("network").description("make a new network");
  network
    .command("init")
    .description("write DIR/genesis.json and the committee's keys DIR/committee-1.key … committee-N.key, and print the commands that start the network's nodes")
    .option("--out <DIR>", "directory for the network's files (required; existing files are never replaced)")
    .option("--committee <N>", `members of the milestone committee, 1 to ${MAX_COMMITTEE_MEMBERS} (default 1)`)
    .option("--threshold <K>", "signatures a milestone needs, more than N/2 and at most N (default floor(2N/3) + 1)")
    .option("--name <NAME>", "network name; addresses are shown as t<name>1… (default local)")
    .option("--supply <N>", `whole units the genesis creates, 1 to 2^64 - 1 (default ${DEV_SUPPLY})`)
    .option("--to <ADDRESS>", `address that owns the supply (bech32m of any network, or 64 hex); default: a new wallet, its mnemonic in DIR/${GENESIS_MNEMONIC_FILE}`)
    .option("--interval-ms <MS>", `milestone interval (default ${DEFAULT_INTERVAL_MS})`)
    .option("--difficulty <BITS>", `base proof-of-work difficulty, 0 to ${MAX_BASE_DIFFICULTY} (default ${DEV_BASE_DIFFICULTY})`)
    .option("--json", "print the files written and the network as JSON")
    .action(networkInit);
  return network;
}

async function networkInit(opts: Opts): Promise<number> {
  const out = required(opts, "out", "--out", "DIR");
  const name = str(opts.name) ?? "local";
  if (name.toLowerCase() === "dev") throw new UsageError("--name dev is the built-in dev network (`tangle node --network dev`); choose another name");
  let hrp: string;
  try {
    hrp = hrpForNetwork(name);
  } catch (err) {
    throw new UsageError(`--name: ${(err as Error).message}`);
  }
  const supplyText = str(opts.supply) ?? DEV_SUPPLY.toString();
  if (!/^[1-9][0-9]*$/.test(supplyText) || BigInt(supplyText) > MAX_AMOUNT) throw new UsageError(`--supply must be a whole number from 1 to 2^64 - 1, got '${supplyText}'`);
  const intervalMs = intOption("interval-ms", opts.intervalMs, MIN_MILESTONE_INTERVAL_MS, MAX_MILESTONE_INTERVAL_MS, DEFAULT_INTERVAL_MS);
  const difficulty = intOption("difficulty", opts.difficulty, 0, MAX_BASE_DIFFICULTY, DEV_BASE_DIFFICULTY);
  const members = intOption("committee", opts.committee, 1, MAX_COMMITTEE_MEMBERS, 1);
  const threshold = intOption("threshold", opts.threshold, minThreshold(members), members, defaultThreshold(members));
  let owner: Uint8Array;
  let mnemonic: string | undefined;
  const to = str(opts.to);
  if (to !== undefined) {
    try {
      owner = /^[0-9a-fA-F]{64}$/.test(to.trim()) ? fromHex(to.trim()) : decodeAddress(to.trim().toLowerCase()).address;
    } catch (err) {
      throw new UsageError(`--to: ${(err as Error).message}`);
    }
  } else {
    mnemonic = generateMnemonic(256);
    owner = Wallet.fromMnemonic(mnemonic).key(0).address;
  }

  const dir = path.resolve(out);
  const genesisFile = path.join(dir, GENESIS_FILE);
  const keyFiles = Array.from({ length: members }, (_, i) => path.join(dir, committeeKeyFile(i + 1)));
  const mnemonicFile = path.join(dir, GENESIS_MNEMONIC_FILE);
  const planned = [genesisFile, ...keyFiles, ...(mnemonic ? [mnemonicFile] : [])];
  const existing = planned.filter((f) => fs.existsSync(f));
  if (existing.length) throw new UsageError(`--out ${out}: ${existing.map((f) => path.relative(dir, f)).join(", ")} already exist${existing.length === 1 ? "s" : ""}; a network's files are never replaced (choose another directory)`);

  const seeds = keyFiles.map(() => randomBytes(32));
  let networkId = randomInt(1, 0xffffffff);
  while (networkId === DEV_NETWORK_ID) networkId = randomInt(1, 0xffffffff);
  const genesis: Genesis = validateGenesis({
    networkId,
    networkName: name,
    committee: { members: seeds.map((s) => toHex(keyPairFromSeed(s).publicKey)), threshold },
    outputs: [{ address: toHex(owner), amount: supplyText }],
    milestoneIntervalMs: intervalMs,
    baseDifficulty: difficulty,
  });

  fs.mkdirSync(dir, { recursive: true });
  // Keys first: a genesis without its keys would name members nobody can run.
  keyFiles.forEach((f, i) => writePrivate(f, `${toHex(seeds[i])}\n`));
  if (mnemonic) writePrivate(mnemonicFile, `${mnemonic}\n`);
  fs.writeFileSync(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`, { flag: "wx" });

  const rel = (f: string) => (path.isAbsolute(out) ? f : path.relative(process.cwd(), f) || ".");
  const ownerAddress = encodeAddress(owner, hrp);
  const commands = {
    coordinator: `tangle node --network ${rel(genesisFile)} --coordinator-key ${rel(keyFiles[0])} --data ${rel(path.join(dir, "data", "node-1"))} --port 14265`,
    members: keyFiles.map((f, i) => `tangle node --network ${rel(genesisFile)} --coordinator-key ${rel(f)} --data ${rel(path.join(dir, "data", `node-${i + 1}`))} --port ${14265 + i}${i ? " --peer ws://127.0.0.1:14265" : ""}`),
    peer: `tangle node --network ${rel(genesisFile)} --data ${rel(path.join(dir, "data", "follower"))} --port ${14265 + members} --peer ws://127.0.0.1:14265`,
    balance: `tangle wallet balance ${ownerAddress} --node ws://127.0.0.1:14265`,
    ...(mnemonic ? { send: `tangle wallet send --mnemonic-file ${rel(mnemonicFile)} --to ADDRESS --amount N --node ws://127.0.0.1:14265` } : {}),
  };
  if (opts.json) {
    printJson({ dir, genesis: genesisFile, coordinatorKeys: keyFiles, committee: { members: genesis.committee.members, threshold }, mnemonicFile: mnemonic ? mnemonicFile : null, networkId, networkName: name, supply: supplyText, owner: ownerAddress, commands });
    return 0;
  }
  process.stdout.write(
    `network '${name}' (id ${networkId}): ${supplyText} units owned by ${ownerAddress}\n` +
      `milestones every ${intervalMs} ms, signed by ${threshold} of ${members} committee member${members === 1 ? "" : "s"}, base difficulty ${difficulty} bits\n\n` +
      `wrote\n  ${rel(genesisFile)}\n` +
      keyFiles.map((f, i) => `  ${rel(f)}   (committee member ${i + 1}; keep it secret, mode 0600)\n`).join("") +
      (mnemonic ? `  ${rel(mnemonicFile)}   (the wallet that owns the supply; keep it secret, mode 0600)\n` : "") +
      (members === 1
        ? `\nstart the coordinator node:\n  ${commands.coordinator}\n`
        : `\nstart the members' nodes (one key each, best on ${members} machines; they propose and sign milestones in rounds, ${threshold} signatures each: docs/committee.md):\n` +
          commands.members.map((c) => `  ${c}\n`).join("")) +
      `start more nodes (each with its own --data and --port) peering with it:\n  ${commands.peer}\n` +
      `check the supply:\n  ${commands.balance}\n` +
      (commands.send ? `spend it:\n  ${commands.send}\n` : ""),
  );
  return 0;
}

// ---- tangle key --------------------------------------------------------------------------------

export function keyCommand(): TangleCommand {
  const key = new TangleCommand("key").description("Ed25519 key files (coordinator keys)");
  key
    .command("new")
    .description("make a new key; with --out, write it to FILE (mode 0600, never replacing a file)")
    .option("--out <FILE>", "the key file to write")
    .option("--network <NAME|FILE>", "network for the address prefix: dev, a genesis file, or a name")
    .option("--json", "print the key's public key and address as JSON")
    .action(keyNew);
  key
    .command("show")
    .description("a key file's public key and address (hex, and bech32m with the network's prefix when the network is known)")
    .argument("<FILE>", "the key file")
    .option("--network <NAME|FILE>", "dev, a genesis file, or a name (default: the genesis.json beside FILE, or DIR/genesis.json when FILE is in DIR/keys/)")
    .option("--json", "print as JSON")
    .action(keyShow);
  return key;
}

/** The network a key belongs to, when it can be told: --network (dev, a genesis file or a name), or the genesis next to DIR/keys/. */
function keyNetwork(opts: Opts, keyFile?: string): { name: string; genesis?: Genesis } | undefined {
  const spec = str(opts.network);
  if (spec === "dev") return { name: "dev", genesis: devGenesis() };
  const readGenesis = (file: string): Genesis => {
    try {
      return parseGenesis(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`--network ${file}: ${(err as Error).message}`);
    }
  };
  if (spec !== undefined) {
    if (fs.existsSync(spec)) {
      const genesis = readGenesis(spec);
      return { name: genesis.networkName, genesis };
    }
    return { name: spec };
  }
  if (keyFile) {
    // DIR/committee-i.key beside DIR/genesis.json, or a key in DIR/keys/ (the layout before committees).
    const here = path.dirname(path.resolve(keyFile));
    for (const next of [path.join(here, GENESIS_FILE), ...(path.basename(here) === KEYS_DIR ? [path.join(path.dirname(here), GENESIS_FILE)] : [])]) {
      if (fs.existsSync(next)) {
        const genesis = readGenesis(next);
        return { name: genesis.networkName, genesis };
      }
    }
  }
  return undefined;
}

function describeKey(seed: Uint8Array, net: { name: string; genesis?: Genesis } | undefined) {
  const publicKey = keyPairFromSeed(seed).publicKey;
  const address = addressOf(publicKey);
  let bech32m: string | null = null;
  if (net) {
    try {
      bech32m = encodeAddress(address, hrpForNetwork(net.name));
    } catch (err) {
      throw new UsageError(`--network: ${(err as Error).message}`);
    }
  }
  const coordinator = net?.genesis ? net.genesis.committee.members.includes(toHex(publicKey)) : null;
  return { publicKey: toHex(publicKey), address: bech32m, addressHex: toHex(address), network: net?.name ?? null, coordinator };
}

function printKey(k: ReturnType<typeof describeKey>, file: string | undefined): void {
  process.stdout.write(
    (file ? `key file     ${file}\n` : "") +
      `public key   ${k.publicKey}\n` +
      (k.address ? `address      ${k.address}\n` : "") +
      `address hex  ${k.addressHex}\n` +
      (k.coordinator === null ? "" : `coordinator  ${k.coordinator ? "yes" : "no"}, of network '${k.network}'\n`),
  );
}

async function keyNew(opts: Opts): Promise<number> {
  const out = str(opts.out);
  const net = keyNetwork(opts);
  const seed = randomBytes(32);
  const k = describeKey(seed, net);
  if (out !== undefined) {
    if (fs.existsSync(out)) throw new UsageError(`--out ${out} already exists; a key file is never replaced`);
    writePrivate(out, `${toHex(seed)}\n`);
  }
  if (opts.json) printJson({ file: out ?? null, ...k, ...(out === undefined ? { seed: toHex(seed) } : {}) });
  else {
    if (out === undefined) process.stdout.write(`seed         ${toHex(seed)}   (secret: save it to a file only you can read)\n`);
    printKey(k, out);
  }
  return 0;
}

async function keyShow(file: string, opts: Opts): Promise<number> {
  const seed = readKeyFile(file);
  const k = describeKey(seed, keyNetwork(opts, file));
  if (opts.json) printJson({ file, ...k });
  else printKey(k, file);
  return 0;
}
