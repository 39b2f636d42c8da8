/**
 * Chaos: partitions that heal, again and again (issue 15). Three node processes,
 *
 *   A ── coordinator C ── B        (A and B dial C)
 *
 * Each round cuts A or B off (seeded choice; `removePeer`), for a seeded time shorter than the
 * tip-selection bound of 8 milestones. While cut off, both sides take sensor readings and each
 * takes its own spend of the same output of the dev wallet. Then the link is restored
 * (`addPeer`). After every heal: everything either side acknowledged is confirmed on all three
 * nodes with the same metadata, of the two conflicting spends exactly one wins (the other is
 * confirmed as INPUT_SPENT), and the three nodes reach one milestone with one ledger state hash.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromHex, toHex } from "../../client/protocol/bytes";
import type { Payload } from "../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { devWalletSeed } from "../../node/networks/dev";
import { NodeProcess, RawClient, startNodeProcess } from "../node/api/_process";
import { buildVia, record } from "../node/api/_tx";
import { paced, report, scale, seeded, sleep, tempDir, until } from "./_chaos";

const ROUNDS = scale(2, 6);
const INTERVAL_MS = 1000;
jest.setTimeout(40_000 + ROUNDS * 45_000);

const TOKEN = "chaos-partition";
const rng = seeded("partition");
const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
let dir: string;
const procs: NodeProcess[] = [];
const clients: RawClient[] = [];

interface N {
  name: string;
  proc: NodeProcess;
  c: RawClient;
  call(method: string, params?: unknown): Promise<any>;
}

beforeAll(() => void (dir = tempDir("partition")));
afterAll(async () => {
  clients.forEach((c) => c.ws.terminate());
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, extra: string[]): Promise<N> {
  const proc = await startNodeProcess(["--network", "dev", "--data", path.join(dir, name), "--admin-token", TOKEN, ...extra]);
  procs.push(proc);
  const c = await RawClient.connect(proc.url);
  clients.push(c);
  return { name, proc, c, call: (m, p) => c.call(m, p) };
}

function spend(input: { txId: string; index: number; amount: string }, amount: bigint): Payload {
  return {
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [
      { address: addressOf(keyPairFromSeed(rng.bytes(32)).publicKey), amount },
      { address: devAddr, amount: BigInt(input.amount) - amount },
    ],
  };
}

/** Readings on `n` for `ms`: returns the ids it acknowledged. */
async function readings(n: N, ms: number): Promise<string[]> {
  const acked: string[] = [];
  const end = Date.now() + ms;
  const stream = rng.bytes(32);
  let prev: string | undefined;
  for (let i = 0; Date.now() < end; i++) {
    prev = (await n.call("submitTransaction", { bytes: await buildVia(n.call, dev, record(stream, i, prev)) })).id as string;
    acked.push(prev);
    await sleep(20);
  }
  return acked;
}

const connected = async (n: N) => (await n.call("getPeers")).peers.filter((p: any) => p.connected).length;

test(`${ROUNDS} partitions with conflicting spends heal: everything acknowledged is confirmed everywhere, one spend wins, one state hash`, async () => {
  const C = await start("c", ["--coordinator-key", "dev", "--milestone-interval-ms", String(INTERVAL_MS)]);
  const A = await start("a", ["--peer", C.proc.url]);
  const B = await start("b", ["--peer", C.proc.url]);
  const all = [C, A, B];
  await until("A and B at milestone 2", async () => (await A.call("getNodeInfo")).confirmedMilestoneIndex >= 2 && (await B.call("getNodeInfo")).confirmedMilestoneIndex >= 2, 20_000, 100);
  const rounds: { victim: string; cutMs: number; acked: number; confirmedEverywhere: number; healMs: number }[] = [];

  for (let round = 0; round < ROUNDS; round++) {
    const victim = rng.chance(0.5) ? A : B;
    const cutMs = 1500 + rng.int(2500);
    // Both sides spend the dev wallet's confirmed output (the same one, as C sees it now).
    const input = (await C.call("getOutputs", { address: toHex(devAddr) })).outputs[0];
    expect(await victim.call("removePeer", { url: C.proc.url, token: TOKEN })).toEqual({ removed: true });
    await until(`${victim.name} cut off`, async () => (await connected(victim)) === 0, 5000, 50);

    const spendVictim = (await victim.call("submitTransaction", { bytes: await buildVia(victim.call, dev, spend(input, 100n + BigInt(round))) })).id as string;
    const spendC = (await C.call("submitTransaction", { bytes: await buildVia(C.call, dev, spend(input, 200n + BigInt(round))) })).id as string;
    const [onVictim, onC] = await Promise.all([readings(victim, cutMs), readings(C, cutMs)]);
    const acked = [spendVictim, spendC, ...onVictim, ...onC];

    expect(await victim.call("addPeer", { url: C.proc.url, token: TOKEN })).toEqual({ added: true });
    const t0 = Date.now();
    let left = acked;
    await until(
      `round ${round}: everything acknowledged confirmed on all three nodes`,
      async () => {
        const next: string[] = [];
        for (const id of left) {
          for (const n of all) {
            const r = await paced(n.c, "getTransactionMetadata", { id });
            if (r.error || !r.result.confirmed) {
              next.push(id);
              break;
            }
          }
        }
        left = next;
        return left.length === 0;
      },
      25_000,
      200,
    ).catch((err: Error) => {
      if (!err.message.startsWith("timed out")) throw err;
    });
    rounds.push({ victim: victim.name, cutMs, acked: acked.length, confirmedEverywhere: acked.length - left.length, healMs: Date.now() - t0 });
    expect({ round, seed: rng.seed, unconfirmed: left.slice(0, 5) }).toEqual({ round, seed: rng.seed, unconfirmed: [] });

    // Every node says the same of every transaction; exactly one of the two spends wins.
    for (const id of acked) {
      const metas = await Promise.all(all.map(async (n) => (await paced(n.c, "getTransactionMetadata", { id })).result));
      const seen = metas.map((m) => ({ confirmed: m.confirmed, conflict: m.conflict, confirmedBy: m.confirmedBy }));
      expect(seen).toEqual([seen[0], seen[0], seen[0]]);
    }
    const conflicts = await Promise.all([spendVictim, spendC].map(async (id) => (await C.call("getTransactionMetadata", { id })).conflict));
    expect(conflicts.filter((x) => x === null)).toHaveLength(1);
    expect(conflicts.filter((x) => x === "INPUT_SPENT")).toHaveLength(1);
    await until(
      `round ${round}: one milestone, one state hash`,
      async () => {
        const infos = await Promise.all(all.map((n) => n.call("getNodeInfo")));
        return infos.every((i) => i.confirmedMilestoneIndex === infos[0].confirmedMilestoneIndex && i.ledgerStateHash === infos[0].ledgerStateHash);
      },
      10_000,
      100,
    );
  }
  const acked = rounds.reduce((s, r) => s + r.acked, 0);
  const confirmed = rounds.reduce((s, r) => s + r.confirmedEverywhere, 0);
  report("partition", { rounds, acknowledged: acked, confirmedEverywhere: confirmed, confirmedShare: confirmed / acked, healMsMax: Math.max(...rounds.map((r) => r.healMs)) });
});
