/**
 * The wallet end to end against a real node process (dev network, 100 ms milestones): sending from
 * the dev funds and seeing confirmed balances move on both sides, remainders to fresh addresses,
 * payments drawn from several addresses, pending amounts, refusals, reattachment of a transfer
 * stuck on stale parents (the value moves once), and fresh parents after a PoW that outlasted them.
 * A process, not startTestNode: the PoW test's fake clock must not reach the node, and the restart
 * test checks the node's exit code.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, generateMnemonic, LocalPow, Wallet, WalletErrorCode, InlinePow } from "../../../client/node";
import type { AddressState, Chain, WalletBalance } from "../../../client/node";
import { prepareAttachment } from "../../../client/attach";
import { signTransaction } from "../../../client/protocol/build";
import { DEV_SUPPLY, devGenesis } from "../../../node/networks/dev";
import { startNodeProcess, NodeProcess } from "../../node/api/_process";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

let node: NodeProcess;
let client: ApiClient;
let dataDir: string;
let dev: Wallet;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-wallet-"));
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", dataDir, "--milestone-interval-ms", "100"]);
  client = await ApiClient.connect(node.url);
  dev = Wallet.dev({ client });
}, 30_000);

afterAll(async () => {
  client?.close();
  await node?.stop("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("send from the dev funds: confirmed balances change on both sides, the remainder goes to a fresh internal address", async () => {
  const alice = Wallet.fromMnemonic(generateMnemonic(), { client });
  const to = await alice.address(0);
  expect(to).toMatch(/^tdev1/);
  const before = await dev.balance();
  expect(before.confirmed).toBe(DEV_SUPPLY);
  const events: string[] = [];
  const r = await dev.send({ to, amount: 1_000_000n, onEvent: (e) => events.push(e.type) });
  expect(r.confirmed).toBe(true);
  expect(r.id).toMatch(/^[0-9a-f]{64}$/);
  expect(r.transfers).toHaveLength(1);
  expect(events).toEqual(expect.arrayContaining(["planned", "signed", "submitted", "confirm"]));
  const meta = await client.getTransactionMetadata(r.id);
  expect(meta).toMatchObject({ confirmed: true, conflict: null });

  expect((await alice.balance()).confirmed).toBe(1_000_000n);
  const after = await dev.balance();
  expect(after.confirmed).toBe(DEV_SUPPLY - 1_000_000n);
  // External address 0 is emptied (and still used); the remainder sits on internal index 0, reported
  // by the wallet as fresh.
  expect(after.addresses[0]).toMatchObject({ chain: "external", index: 0, path: "m/44'/7467'/0'/0'/0'", confirmed: 0n, used: true });
  expect(at(after, "internal", 0)).toMatchObject({ path: "m/44'/7467'/0'/1'/0'", confirmed: DEV_SUPPLY - 1_000_000n, used: true });
  expect(after.addresses.filter((a) => a.confirmed > 0n)).toHaveLength(1);
  expect(r.remainderAddress).toBe(await dev.address(0, "internal"));
  expect((await client.getBalance(devGenesis().outputs[0].address)).confirmed).toBe(0n);
});

test("pending amounts show before the milestone; a payment drawn from two addresses; refusals", async () => {
  const bob = Wallet.fromMnemonic(generateMnemonic(), { client });
  const bob0 = await bob.address(0);
  // Without waiting: the transfer is pending at first.
  const r = await dev.send({ to: bob0, amount: 700n, wait: false });
  expect(r.confirmed).toBe(false);
  const early = await client.getBalance(bob.key(0).address);
  expect(early.confirmed + early.pending.incoming).toBe(700n);
  await waitFor(async () => (await bob.balance()).confirmed === 700n);

  // Bob pays 300 away: 400 comes back to his internal index 0. Then dev pays him 500 more at index 0.
  const carol = Wallet.fromMnemonic(generateMnemonic(), { client });
  await bob.send({ to: await carol.address(0), amount: 300n });
  let b = await bob.balance();
  expect([at(b, "external", 0).confirmed, at(b, "internal", 0).confirmed]).toEqual([0n, 400n]);
  await dev.send({ to: bob0, amount: 500n });
  b = await bob.balance();
  expect([at(b, "external", 0).confirmed, at(b, "internal", 0).confirmed]).toEqual([500n, 400n]);

  // 800 needs both addresses: two transfers, the second with a remainder of 100 to internal index 1.
  const plan = await bob.planSend(await carol.address(0), 800n);
  expect(plan.transfers.map((t) => [t.fromChain, t.fromIndex, t.amount, t.remainder])).toEqual([
    ["external", 0, 500n, 0n],
    ["internal", 0, 300n, 100n],
  ]);
  expect(plan.remainderIndex).toBe(1);
  const sent = await bob.send({ to: await carol.address(0), amount: 800n });
  expect(sent.confirmed).toBe(true);
  expect(sent.transfers).toHaveLength(2);
  b = await bob.balance();
  expect(b.confirmed).toBe(100n);
  expect(at(b, "internal", 1).confirmed).toBe(100n);
  expect((await carol.balance()).confirmed).toBe(1100n);

  await expect(bob.send({ to: await carol.address(0), amount: 101n })).rejects.toMatchObject({ code: WalletErrorCode.INSUFFICIENT_FUNDS });
  await expect(bob.send({ to: await carol.address(0), amount: 0n })).rejects.toMatchObject({ code: WalletErrorCode.AMOUNT });
  await expect(bob.send({ to: "tmain1qqqqqq", amount: 1n })).rejects.toMatchObject({ code: "ERR_WALLET_ADDRESS" });
  const otherNet = bob.addressWith("tmain", 0);
  await expect(bob.send({ to: otherNet, amount: 1n })).rejects.toThrow(/expected 'tdev'/);
});

test("a transfer attached to stale parents is confirmed once, whether reattached or swept into a milestone by a checkpoint: the value moves once", async () => {
  const dave = Wallet.fromMnemonic(generateMnemonic(), { client });
  // Parents from a milestone far behind the coordinator: URTS calls such an attachment lazy.
  const old = await client.getMilestone("latest");
  await waitFor(async () => (await client.getMilestone("latest")).index >= old.index + 20);
  const genesisEntry = await client.getMilestone(1);
  let firstAttachment = true;
  const stale = async (c: ApiClient, count: number) => {
    if (!firstAttachment) return c.selectParents(count);
    firstAttachment = false;
    return [old.id, genesisEntry.id].sort();
  };
  const before = await dev.balance();
  const events: string[] = [];
  const r = await dev.send({
    to: await dave.address(0),
    amount: 12_345n,
    attach: { selectParents: stale },
    confirm: { reattachAfterMilestones: 30 },
    onEvent: (e) => {
      if (e.type === "confirm" && e.event.type === "reattach") events.push(e.event.reason);
    },
  });
  expect(r.confirmed).toBe(true);
  const t = r.transfers[0];
  // Lazy by TIP-3, so the wallet reattaches it; the coordinator's checkpoints sweep lazy tips too
  // (docs/checkpoints.md), so the stale attachment may be the one a milestone applies.
  expect(t.attachments.length).toBeGreaterThanOrEqual(2);
  expect(events[0]).toMatch(/shouldReattach/);
  // Exactly one attachment is applied: the one the wallet reports; any other is a conflict or unconfirmed.
  const metas = await Promise.all(t.attachments.map((id) => client.getTransactionMetadata(id)));
  const applied = metas.filter((m) => m.confirmed && m.conflict === null);
  expect(applied.map((m) => m.id)).toEqual([r.id]);
  for (const m of metas) if (m.id !== r.id) expect(m.confirmed ? m.conflict : null).toBe(m.confirmed ? "INPUT_SPENT" : null);
  expect((await dave.balance()).confirmed).toBe(12_345n);
  expect((await dev.balance()).confirmed).toBe(before.confirmed - 12_345n);
  // The attachment not applied left pending when the other was: nothing pending on either side
  // (the node's getBalance, address by address).
  expect((await client.getBalance(dave.key(0).address)).pending).toEqual({ incoming: 0n, outgoing: 0n });
  staleCase = { original: t.attachments.find((id) => id !== r.id)!, to: dave.key(0).address };
  for (const a of (await dev.balance()).addresses) expect([a.address, a.pending]).toEqual([a.address, { incoming: 0n, outgoing: 0n }]);
  // Still so a few milestones later.
  const m = (await client.getMilestone("latest")).index;
  await waitFor(async () => (await client.getMilestone("latest")).index >= m + 3);
  expect((await dave.balance()).confirmed).toBe(12_345n);
});

test("a PoW that outlasts its parents is redone on fresh ones", async () => {
  // A PoW engine that takes 60 ms of a fake clock (timeouts and Date faked; the node, the socket and
  // the search itself run for real), against a parent age bound of 20 ms that grows by half at each
  // refresh: 20, 30 and 45 ms run out during the PoW, 68 ms admits it.
  jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "clearImmediate", "setInterval", "clearInterval", "queueMicrotask", "hrtime", "performance"] });
  try {
    const start = Date.now();
    const inline = new InlinePow();
    let searches = 0;
    let wake = () => {};
    const slow: LocalPow = {
      threads: 1,
      async search(root, difficulty, opts) {
        searches++;
        const done = new Promise((r) => setTimeout(r, 60));
        wake();
        await done;
        if (opts?.signal?.aborted) throw Object.assign(new Error("aborted"), { code: "ERR_POW_ABORTED" });
        return inline.search(root, difficulty, opts);
      },
      close: async () => undefined,
    };
    const key = dev.key(5).keyPair;
    const signed = signTransaction(
      { version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: key.publicKey, payload: { type: "data", streamId: new Uint8Array(32).fill(9), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: Uint8Array.of(1) } },
      key.secretKey,
    );
    const refreshes: string[] = [];
    let finished = false;
    const attaching = prepareAttachment(client, signed, { pow: slow, maxParentAgeMs: 20, onEvent: (e) => e.type === "refresh" && refreshes.push(e.reason) }).finally(() => (finished = true));
    // For each search the engine starts, let 60 ms of the fake clock pass.
    for (let advanced = 0; !finished; ) {
      if (searches > advanced) {
        advanced++;
        await jest.advanceTimersByTimeAsync(60);
      } else await Promise.race([new Promise<void>((r) => (wake = r)), attaching.catch(() => undefined)]);
    }
    const a = await attaching;
    expect(searches).toBe(4);
    expect(a.refreshes).toBe(3);
    expect(refreshes).toEqual(["parents older than 20 ms during PoW", "parents older than 30 ms during PoW", "parents older than 45 ms during PoW"]);
    // Attached on the parents selected after three searches of 60 ms.
    expect(a.timestamp).toBe(start + 180);
    jest.useRealTimers();
    expect(await client.submitTransaction(a.bytes)).toEqual({ id: a.id, duplicate: false });
  } finally {
    jest.useRealTimers();
  }
});

test("when local PoW fails, the node does it (remote PoW), unless the caller forbids it", async () => {
  const broken: LocalPow = {
    threads: 1,
    search: async () => {
      throw new Error("no WASM here");
    },
    close: async () => undefined,
  };
  const erin = Wallet.fromMnemonic(generateMnemonic(), { client });
  const events: string[] = [];
  const r = await dev.send({
    to: await erin.address(0),
    amount: 5n,
    attach: { pow: broken },
    onEvent: (e) => {
      if (e.type === "attach") events.push(e.event.type);
    },
  });
  expect(r.confirmed).toBe(true);
  expect(events).toContain("remote-pow");
  expect((await erin.balance()).confirmed).toBe(5n);
  await expect(dev.send({ to: await erin.address(0), amount: 5n, attach: { pow: broken, remotePow: "never" } })).rejects.toThrow(/no WASM here/);
  expect((await erin.balance()).confirmed).toBe(5n);
});

function at(b: WalletBalance, chain: Chain, index: number): AddressState {
  const a = b.addresses.find((x) => x.chain === chain && x.index === index);
  if (!a) throw new Error(`${chain} address ${index} was not scanned`);
  return a;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("30 consecutive sends, each from a fresh Wallet of the same mnemonic: every balance shows everything, every send works", async () => {
  const mnemonic = generateMnemonic();
  const payee = Wallet.fromMnemonic(generateMnemonic(), { client });
  const to = await payee.address(0);
  const funded = 1_000_000n;
  await dev.send({ to: await Wallet.fromMnemonic(mnemonic, { client }).address(0), amount: funded });
  for (let i = 1; i <= 30; i++) {
    // A fresh object each time, as every `tangle wallet send` is a fresh process.
    const sender = Wallet.fromMnemonic(mnemonic, { client });
    const r = await sender.send({ to, amount: 1000n });
    expect(r.confirmed).toBe(true);
    expect(r.remainderAddress).toBe(sender.addressWith("tdev", i - 1, "internal"));
    const b = await Wallet.fromMnemonic(mnemonic, { client }).balance();
    expect([i, b.confirmed, b.pending]).toEqual([i, funded - 1000n * BigInt(i), { incoming: 0n, outgoing: 0n }]);
    // Used: external 0 and internal 0..i-1, though all but the last remainder are spent; 20 unused
    // addresses scanned past the last used one on each chain.
    const used = b.addresses.filter((a) => a.used).map((a) => `${a.chain}/${a.index}`);
    expect(used).toEqual(["external/0", ...Array.from({ length: i }, (_, k) => `internal/${k}`)]);
    expect(b.addresses.filter((a) => a.confirmed > 0n).map((a) => `${a.chain}/${a.index}`)).toEqual([`internal/${i - 1}`]);
    expect([b.addresses.filter((a) => a.chain === "external").length, b.addresses.filter((a) => a.chain === "internal").length]).toEqual([21, i + 20]);
  }
  expect((await payee.balance()).confirmed).toBe(30_000n);
  restoreCase = { mnemonic, confirmed: funded - 30_000n, usedInternal: 30 };
}, 120_000);

test("after a node restart: a wallet restored from its mnemonic finds everything; the stale attachment stays out of pending", async () => {
  client.close();
  expect(await node.stop("SIGTERM")).toBe(0);
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", dataDir, "--milestone-interval-ms", "100"]);
  client = await ApiClient.connect(node.url);
  // Replaying the window brings back neither the attachment not applied nor its amounts.
  expect((await client.getBalance(staleCase!.to)).pending).toEqual({ incoming: 0n, outgoing: 0n });
  const devNow = await Wallet.dev({ client }).balance();
  for (const a of devNow.addresses) expect([a.address, a.pending]).toEqual([a.address, { incoming: 0n, outgoing: 0n }]);
  // Never applied: unconfirmed, or, once a checkpoint sweeps it into a milestone's cone (docs/checkpoints.md:
  // every accepted transaction gets its verdict), confirmed as a conflict: the applied attachment spent the input first.
  const original = await client.getTransactionMetadata(staleCase!.original);
  if (original.confirmed) expect(original.conflict).toBe("INPUT_SPENT");
  else expect(original.conflict).toBeNull();
  const restored = Wallet.fromMnemonic(restoreCase!.mnemonic, { client });
  const b = await restored.balance();
  expect(b.confirmed).toBe(restoreCase!.confirmed);
  expect(b.addresses.filter((a) => a.chain === "internal" && a.used)).toHaveLength(restoreCase!.usedInternal);
  // The next send works and goes on from the last remainder.
  const r = await restored.send({ to: await Wallet.fromMnemonic(generateMnemonic()).addressWith("tdev", 0), amount: 1n });
  expect([r.confirmed, r.remainderAddress]).toEqual([true, restored.addressWith("tdev", restoreCase!.usedInternal, "internal")]);
}, 60_000);

let restoreCase: { mnemonic: string; confirmed: bigint; usedInternal: number } | undefined;
let staleCase: { original: string; to: Uint8Array } | undefined;

