/**
 * The wallet: keys from a BIP-39 mnemonic (keys.ts), balances over its addresses, and sending.
 *
 * Two BIP-44 chains per account: external (addresses given out to be paid) and internal (the
 * remainders of the wallet's own payments). Each chain is scanned from index 0 until `gapLimit`
 * (default 20, BIP-44's) addresses in a row are unused, where used means the address ever
 * received: confirmed or pending, even if everything it received was spent since (the node's
 * `getBalance` says so in `used`). So a wallet restored from its mnemonic finds every address its
 * sends ever moved funds to, however many sends there were.
 *
 * A transfer may only spend outputs of one address (the issuer's: docs/ledger.md, the unlock
 * rule), so a payment is planned as one transfer per source address, largest sources first; the
 * last transfer sends its remainder to a fresh internal address (the first index after every
 * internal address in use).
 *
 * Never sending twice: each transfer is signed once, and every reattachment reuses that signed
 * essence, so at most one of its attachments can apply (confirm.ts). Outputs are picked in a fixed
 * order (largest first, then by id), so a payment retried while an earlier attempt is still pending
 * picks the same outputs and the two conflict instead of both paying; within one Wallet the outputs
 * of unconfirmed sends are also held back from other sends.
 */
import type { ApiClient } from "../api/client";
import type { ConflictReason } from "../api/types";
import { fromHex, toHex } from "../protocol/bytes";
import { Code, CodedError } from "../protocol/codes";
import { compareIds, Essence, Input, Output } from "../protocol/codec";
import { signTransaction } from "../protocol/build";
import { MAX_INPUTS, PROTOCOL_VERSION, MAX_AMOUNT } from "../protocol/limits";
import { attachAndSubmit, AttachEvent, AttachOptions, nodeInfoOf } from "../attach";
import { confirmWithReattach, ConfirmEvent, ConfirmOptions } from "../confirm";
import { encodeAddress, hrpForNetwork, parseAddress } from "./address";
import { Chain, deriveKey, DEV_MNEMONIC, WalletKey } from "./keys";
import { mnemonicToSeed } from "./mnemonic";

export const WalletErrorCode = {
  /** The wallet's confirmed, unlocked outputs do not cover the amount. */
  INSUFFICIENT_FUNDS: Code.ERR_WALLET_INSUFFICIENT_FUNDS,
  /** A transfer was confirmed without effect (its inputs were spent by another transfer). */
  CONFLICT: Code.ERR_WALLET_CONFLICT,
  /** The operation needs a node connection (pass `client`). */
  NO_CLIENT: Code.ERR_WALLET_NO_CLIENT,
  /** Amount not an integer in [1, 2^64 - 1]. */
  AMOUNT: Code.ERR_WALLET_AMOUNT,
} as const;

export class WalletError extends CodedError {
  override name = "WalletError";
}

export interface WalletOptions {
  /** Node connection (needed for balances and sending). */
  client?: ApiClient;
  /** Address prefix; default: from the node's network name (`tdev` for dev), else "tdev". */
  hrp?: string;
  /** BIP-44 account (default 0). */
  account?: number;
  /** BIP-39 passphrase (default none). */
  passphrase?: string;
  /** Unused addresses in a row that end the scan of a chain (default 20, BIP-44's gap limit). */
  gapLimit?: number;
  /** Defaults for attaching (PoW engine, parent age bound, remote PoW policy). */
  attach?: AttachOptions;
  /** Defaults for waiting and reattaching. */
  confirm?: ConfirmOptions;
}

export interface AddressState {
  /** "external": addresses given out to be paid; "internal": remainders of the wallet's payments. */
  chain: Chain;
  index: number;
  /** Derivation path (keys.ts). */
  path: string;
  /** bech32m. */
  address: string;
  hex: string;
  confirmed: bigint;
  pending: { incoming: bigint; outgoing: bigint };
  /** Ever received (confirmed or pending), even if spent since. */
  used: boolean;
}

export interface WalletBalance {
  confirmed: bigint;
  pending: { incoming: bigint; outgoing: bigint };
  /** Addresses scanned, external chain first, each chain in index order up to the gap past its last used one. */
  addresses: AddressState[];
}

export interface PlannedTransfer {
  /** The address (chain and index) that signs and whose outputs are spent. */
  fromChain: Chain;
  fromIndex: number;
  inputs: { txId: string; index: number; amount: bigint }[];
  /** To the recipient. */
  amount: bigint;
  /** Back to the wallet (0n when the inputs match exactly). */
  remainder: bigint;
}

export interface SendPlan {
  to: Uint8Array;
  amount: bigint;
  transfers: PlannedTransfer[];
  /** Index on the internal chain that receives the remainder (if any). */
  remainderIndex: number;
}

export interface SendOptions {
  /** Recipient: bech32m (of this network) or 64 hex characters, or 32 bytes. */
  to: string | Uint8Array;
  amount: bigint | number | string;
  /** Wait for confirmation, reattaching as needed (default true). */
  wait?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: SendEvent) => void;
  attach?: AttachOptions;
  confirm?: ConfirmOptions;
}

export type SendEvent =
  | { type: "planned"; plan: SendPlan }
  | { type: "signed"; transfer: number }
  | { type: "attach"; transfer: number; event: AttachEvent }
  | { type: "submitted"; transfer: number; id: string }
  | { type: "confirm"; transfer: number; event: ConfirmEvent };

export interface SentTransfer {
  /** The attachment that applied (or the latest one when not confirmed yet). */
  id: string;
  attachments: string[];
  confirmed: boolean;
  milestoneIndex: number | null;
  amount: bigint;
  remainder: bigint;
}

export interface SendResult {
  /** The last transfer's id (the only one in the usual single-transfer case). */
  id: string;
  /** True once every transfer is confirmed and applied. */
  confirmed: boolean;
  transfers: SentTransfer[];
  /** bech32m address that received the remainder, if any. */
  remainderAddress: string | null;
}

/** An amount as a bigint; throws ERR_WALLET_AMOUNT unless a whole number in [1, 2^64 - 1]. */
export function toAmount(v: bigint | number | string): bigint {
  let a: bigint | undefined;
  if (typeof v === "bigint") a = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) a = BigInt(v);
  else if (typeof v === "string" && /^\d+$/.test(v.trim())) a = BigInt(v.trim());
  if (a === undefined || a < 1n || a > MAX_AMOUNT) throw new WalletError(WalletErrorCode.AMOUNT, `amount must be a whole number in [1, 2^64 - 1], got ${String(v)}`);
  return a;
}

const outputKey = (txId: string, index: number) => `${txId}:${index}`;

const CHAIN_ORDER: readonly Chain[] = ["external", "internal"];
/** Balance requests in flight at most, per chain, while scanning. */
const MAX_SCAN_BATCH = 64;

const isUsed = (s: AddressState) => s.used || s.confirmed > 0n || s.pending.incoming > 0n || s.pending.outgoing > 0n;

export class Wallet {
  readonly account: number;
  private readonly seed: Uint8Array;
  private readonly keys = new Map<string, WalletKey>();
  private readonly locked = new Set<string>();
  /** Highest internal index this instance sent a remainder to, so consecutive sends never reuse one. */
  private highestRemainder = -1;
  private hrpValue?: string;
  private readonly gapLimit: number;

  private constructor(
    seed: Uint8Array,
    private readonly opts: WalletOptions,
  ) {
    this.seed = seed;
    this.account = opts.account ?? 0;
    this.hrpValue = opts.hrp;
    this.gapLimit = opts.gapLimit ?? 20;
    if (!Number.isInteger(this.gapLimit) || this.gapLimit < 1 || this.gapLimit > 1000) throw new TypeError(`gapLimit must be an integer in [1, 1000], got ${String(opts.gapLimit)}`);
  }

  /** Throws MnemonicError (code ERR_WALLET_MNEMONIC) for an invalid phrase. */
  static fromMnemonic(mnemonic: string, opts: WalletOptions = {}): Wallet {
    return new Wallet(mnemonicToSeed(mnemonic, opts.passphrase ?? ""), opts);
  }

  /** The dev network's funded wallet (DEV_MNEMONIC; public, dev only). */
  static dev(opts: WalletOptions = {}): Wallet {
    return Wallet.fromMnemonic(DEV_MNEMONIC, opts);
  }

  get client(): ApiClient | undefined {
    return this.opts.client;
  }

  private needClient(): ApiClient {
    if (!this.opts.client) throw new WalletError(WalletErrorCode.NO_CLIENT, "this needs a node connection: create the wallet with { client }");
    return this.opts.client;
  }

  /** The key at `index` of `chain` (the external chain unless said otherwise). */
  key(index: number, chain: Chain = "external"): WalletKey {
    const id = `${chain}/${index}`;
    let k = this.keys.get(id);
    if (!k) this.keys.set(id, (k = deriveKey(this.seed, this.account, index, chain)));
    return k;
  }

  /** The address prefix: given, else the node's network's, else "tdev". */
  async hrp(): Promise<string> {
    if (this.hrpValue) return this.hrpValue;
    if (!this.opts.client) return "tdev";
    this.hrpValue = hrpForNetwork((await nodeInfoOf(this.opts.client)).networkName);
    return this.hrpValue;
  }

  /** bech32m address of `index` (of `chain`, external by default) with a known prefix (no node needed). */
  addressWith(hrp: string, index = 0, chain: Chain = "external"): string {
    return encodeAddress(this.key(index, chain).address, hrp);
  }

  async address(index = 0, chain: Chain = "external"): Promise<string> {
    return this.addressWith(await this.hrp(), index, chain);
  }

  /**
   * Balances of both chains: on each, addresses 0, 1, … until `gapLimit` unused ones follow the
   * last used one. External chain first.
   */
  async scan(): Promise<AddressState[]> {
    const client = this.needClient();
    const hrp = await this.hrp();
    const chains = await Promise.all(CHAIN_ORDER.map((chain) => this.scanChain(client, hrp, chain)));
    return chains.flat();
  }

  private async scanChain(client: ApiClient, hrp: string, chain: Chain): Promise<AddressState[]> {
    const out: AddressState[] = [];
    let lastUsed = chain === "internal" ? this.highestRemainder : -1;
    // Ask for exactly the addresses the gap rule still needs (at most MAX_SCAN_BATCH at a time).
    while (out.length <= lastUsed + this.gapLimit) {
      const from = out.length;
      const count = Math.min(MAX_SCAN_BATCH, lastUsed + this.gapLimit + 1 - from);
      const batch = await Promise.all(
        Array.from({ length: count }, async (_, k): Promise<AddressState> => {
          const key = this.key(from + k, chain);
          const b = await client.getBalance(key.address);
          return { chain, index: key.index, path: key.path, address: encodeAddress(key.address, hrp), hex: toHex(key.address), confirmed: b.confirmed, pending: b.pending, used: b.used };
        }),
      );
      for (const s of batch) {
        out.push(s);
        if (isUsed(s)) lastUsed = Math.max(lastUsed, s.index);
      }
    }
    return out;
  }

  async balance(): Promise<WalletBalance> {
    const addresses = await this.scan();
    const sum = (f: (s: AddressState) => bigint) => addresses.reduce((n, s) => n + f(s), 0n);
    return { confirmed: sum((s) => s.confirmed), pending: { incoming: sum((s) => s.pending.incoming), outgoing: sum((s) => s.pending.outgoing) }, addresses };
  }

  /** Chooses inputs (see the file comment). Throws ERR_WALLET_INSUFFICIENT_FUNDS. */
  async planSend(to: string | Uint8Array, amountIn: bigint | number | string): Promise<SendPlan> {
    const client = this.needClient();
    const amount = toAmount(amountIn);
    const hrp = await this.hrp();
    const toBytes = typeof to === "string" ? parseAddress(to, hrp) : to;
    if (!(toBytes instanceof Uint8Array) || toBytes.length !== 32) throw new WalletError(Code.ERR_WALLET_ADDRESS, "recipient must be 32 bytes");
    const states = await this.scan();
    const lastInternal = Math.max(this.highestRemainder, ...states.filter((s) => s.chain === "internal" && isUsed(s)).map((s) => s.index));
    // Sources: groups of at most MAX_INPUTS unlocked outputs of one address.
    const sources: { fromChain: Chain; fromIndex: number; inputs: PlannedTransfer["inputs"]; sum: bigint }[] = [];
    for (const s of states.filter((x) => x.confirmed > 0n)) {
      const { outputs } = await client.getOutputs(s.hex);
      const free = outputs
        .filter((o) => !this.locked.has(outputKey(o.txId, o.index)))
        .sort((a, b) => (a.amount === b.amount ? compareIds(fromHex(a.txId), fromHex(b.txId)) || a.index - b.index : a.amount > b.amount ? -1 : 1));
      for (let i = 0; i < free.length; i += MAX_INPUTS) {
        const inputs = free.slice(i, i + MAX_INPUTS);
        sources.push({ fromChain: s.chain, fromIndex: s.index, inputs, sum: inputs.reduce((n, o) => n + o.amount, 0n) });
      }
    }
    // Largest first; ties: external before internal, then by index (scan order).
    sources.sort((a, b) => (a.sum === b.sum ? 0 : a.sum > b.sum ? -1 : 1));
    const available = sources.reduce((n, s) => n + s.sum, 0n);
    if (available < amount) {
      throw new WalletError(WalletErrorCode.INSUFFICIENT_FUNDS, `confirmed, unlocked funds are ${available}, less than ${amount}${this.locked.size ? " (some outputs are held by unconfirmed sends)" : ""}`);
    }
    const transfers: PlannedTransfer[] = [];
    let left = amount;
    for (const src of sources) {
      if (left === 0n) break;
      if (src.sum <= left) {
        transfers.push({ fromChain: src.fromChain, fromIndex: src.fromIndex, inputs: src.inputs, amount: src.sum, remainder: 0n });
        left -= src.sum;
        continue;
      }
      // The last source: just enough of its outputs (largest first), the rest comes back.
      const inputs: PlannedTransfer["inputs"] = [];
      let got = 0n;
      for (const o of src.inputs) {
        if (got >= left) break;
        inputs.push(o);
        got += o.amount;
      }
      transfers.push({ fromChain: src.fromChain, fromIndex: src.fromIndex, inputs, amount: left, remainder: got - left });
      left = 0n;
    }
    return { to: toBytes, amount, transfers, remainderIndex: lastInternal + 1 };
  }

  /**
   * Sends `amount` to `to`: plan, sign, attach with PoW, submit, and (unless `wait: false`) wait
   * for confirmation, reattaching when the node advises it or milestones pass without it.
   */
  async send(o: SendOptions): Promise<SendResult> {
    const client = this.needClient();
    const info = await nodeInfoOf(client);
    const plan = await this.planSend(o.to, o.amount);
    o.onEvent?.({ type: "planned", plan });
    const remainderKey = this.key(plan.remainderIndex, "internal");
    const hrp = await this.hrp();
    const hasRemainder = plan.transfers.some((t) => t.remainder > 0n);
    if (hasRemainder) this.highestRemainder = Math.max(this.highestRemainder, plan.remainderIndex);
    for (const t of plan.transfers) for (const i of t.inputs) this.locked.add(outputKey(i.txId, i.index));
    const results: SentTransfer[] = [];
    let submitted = 0;
    try {
      for (const [n, t] of plan.transfers.entries()) {
        const key = this.key(t.fromIndex, t.fromChain);
        const inputs: Input[] = t.inputs.map((i) => ({ txId: fromHex(i.txId, "txId"), index: i.index }));
        const outputs: Output[] = [{ address: plan.to, amount: t.amount }];
        if (t.remainder > 0n) outputs.push({ address: remainderKey.address, amount: t.remainder });
        const essence: Essence = { version: PROTOCOL_VERSION, networkId: info.networkId, issuer: key.keyPair.publicKey, payload: { type: "transfer", inputs, outputs } };
        const signed = signTransaction(essence, key.keyPair.secretKey);
        o.onEvent?.({ type: "signed", transfer: n });
        const attachOpts: AttachOptions = { ...this.opts.attach, ...o.attach, signal: o.signal, onEvent: (event) => o.onEvent?.({ type: "attach", transfer: n, event }) };
        const sub = await attachAndSubmit(client, signed, attachOpts);
        submitted = n + 1;
        o.onEvent?.({ type: "submitted", transfer: n, id: sub.id });
        if (o.wait === false) {
          results.push({ id: sub.id, attachments: [sub.id], confirmed: false, milestoneIndex: null, amount: t.amount, remainder: t.remainder });
          continue;
        }
        const r = await confirmWithReattach(client, signed, sub.id, {
          ...this.opts.confirm,
          ...o.confirm,
          attach: attachOpts,
          signal: o.signal,
          onEvent: (event) => o.onEvent?.({ type: "confirm", transfer: n, event }),
        });
        if (r.conflict) throw this.conflictError(r.id, r.conflict);
        results.push({ id: r.id, attachments: r.attachments, confirmed: r.confirmed, milestoneIndex: r.milestoneIndex, amount: t.amount, remainder: t.remainder });
        if (r.confirmed) for (const i of t.inputs) this.locked.delete(outputKey(i.txId, i.index));
      }
    } catch (err) {
      // Inputs of transfers never submitted (including one whose attachment failed) are free again;
      // submitted ones stay held.
      for (const t of plan.transfers.slice(submitted)) for (const i of t.inputs) this.locked.delete(outputKey(i.txId, i.index));
      throw err;
    }
    return {
      id: results[results.length - 1].id,
      confirmed: results.every((r) => r.confirmed),
      transfers: results,
      remainderAddress: hasRemainder ? encodeAddress(remainderKey.address, hrp) : null,
    };
  }

  private conflictError(id: string, reason: ConflictReason): WalletError {
    return new WalletError(WalletErrorCode.CONFLICT, `transfer ${id} was confirmed without effect (${reason}): its inputs were spent by another transfer`);
  }
}
