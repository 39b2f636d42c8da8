/**
 * A committee of four members with k = 3, in real `tangle node` processes made by `tangle network
 * init --committee 4 --threshold 3`, peered in a ring, plus a follower that holds no key:
 *
 *   m1 ── m2 ── m3 ── m4 ── m1        f ── m1
 *
 * Milestones flow, each signed by at least three members and accepted by the follower; with one
 * member killed they go on; with two killed they stop and every node says so; the killed ones
 * restarted (same data directories), they resume, and no node saw any member sign two essences at
 * one index through the kills and restarts. Then a harness holding member 4's key signs two
 * essences at the index the network works on and sends both as a peer: every node catches it and
 * names the member and both essences. Members need not be peers of each other: proposals and
 * signatures travel through the others (node/peering/committee-relay.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { decodeTransaction } from "../../../client/protocol/codec";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { ed25519 } from "../../../client/protocol/ed25519";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { PEER_PROTOCOL_VERSION } from "../../../node/peering/protocol";
import { rawPeer } from "../peering/_peer";
import { parseGenesis } from "../../../node/ledger/genesis";
import { NodeProcess, RawClient, startNodeProcess } from "../api/_process";
import { tangle } from "../../cli/_run";

jest.setTimeout(180_000);

const INTERVAL_MS = 500;
let tmp: string;
let members: string[];
const procs = new Map<string, NodeProcess>();
const clients = new Map<string, RawClient>();
const ports = new Map<string, number>();

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-committee-"));
  const init = await tangle(["network", "init", "--out", tmp, "--name", "ring", "--committee", "4", "--threshold", "3", "--interval-ms", String(INTERVAL_MS), "--json"]);
  expect([init.code, init.stderr]).toEqual([0, ""]);
  members = parseGenesis(fs.readFileSync(path.join(tmp, "genesis.json"), "utf8")).committee.members;
});

afterAll(async () => {
  if (process.env.COMMITTEE_LOGS) for (const [n, p] of procs) fs.writeFileSync(path.join(process.env.COMMITTEE_LOGS, `${n}.log`), p.logs.join("\n"));
  for (const c of clients.values()) c.ws.terminate();
  await Promise.all([...procs.values()].map((p) => p.stop("SIGKILL")));
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts node `name` (m1..m4 hold committee-1..4.key; f none) peered with `peers`, on its old port if it had one. */
async function start(name: string, peers: string[]): Promise<void> {
  const key = name.startsWith("m") ? ["--coordinator-key", path.join(tmp, `committee-${name.slice(1)}.key`)] : [];
  const port = ports.get(name);
  const proc = await startNodeProcess([
    "--network", path.join(tmp, "genesis.json"),
    "--data", path.join(tmp, `data-${name}`),
    ...(port ? ["--port", String(port)] : []),
    ...key,
    ...peers.flatMap((p) => ["--peer", `ws://127.0.0.1:${ports.get(p)}`]),
  ]);
  procs.set(name, proc);
  ports.set(name, Number(new URL(proc.url).port));
  clients.set(name, await RawClient.connect(proc.url));
}

async function kill(name: string): Promise<void> {
  clients.get(name)?.ws.terminate();
  clients.delete(name);
  await procs.get(name)?.stop("SIGKILL");
  procs.delete(name);
}

const info = (name: string) => clients.get(name)!.call("getNodeInfo");

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The signers (hex public keys) of milestone `index` as node `name` stored it. */
async function signersOf(name: string, index: number): Promise<string[]> {
  const c = clients.get(name)!;
  const ms = await c.call("getMilestone", { index });
  const tx = await c.call("getTransaction", { id: ms.id });
  const d = decodeTransaction(tx.bytes);
  if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error(`milestone ${index} does not decode`);
  return d.value.tx.payload.signatures.map((s) => toHex(s.publicKey));
}

test("four members with k = 3 in a ring: milestones flow; one killed, they go on; two killed, they stop and say so; restarted, they resume", async () => {
  // Dial order builds the ring: each member dials the one before it, m1 dials m4 once it is up.
  await start("m1", []);
  await start("m2", ["m1"]);
  await start("m3", ["m2"]);
  await start("m4", ["m3", "m1"]);
  await start("f", ["m1"]);

  const latest = async (name: string) => (await info(name)).confirmedMilestoneIndex as number;
  await until("milestone 6 on every node", async () => {
    for (const n of ["m1", "m2", "m3", "m4", "f"]) if ((await latest(n)) < 6) return false;
    return true;
  }, 60_000);
  for (let i = 1; i <= 6; i++) {
    const signers = await signersOf("f", i);
    expect(signers.length).toBeGreaterThanOrEqual(3);
    for (const s of signers) expect(members).toContain(s);
  }
  const committee = (await info("f")).committee;
  expect(committee).toMatchObject({ members, threshold: 3 });
  expect(committee.reachable).toBeGreaterThanOrEqual(3);

  // One member killed: the other three go on.
  await kill("m3");
  const at = await latest("f");
  const t0 = Date.now();
  await until("4 more milestones without m3", async () => (await latest("f")) >= at + 4, 60_000);
  const perMilestoneMs = (Date.now() - t0) / 4;
  expect(perMilestoneMs).toBeGreaterThan(0);
  for (let i = at + 1; i <= at + 4; i++) expect(await signersOf("f", i)).not.toContain(members[2]);

  // Two killed: no milestone; every node says why.
  await kill("m4");
  await new Promise((r) => setTimeout(r, 2000));
  const stuck = await latest("f");
  await new Promise((r) => setTimeout(r, 8000));
  expect(await latest("f")).toBe(stuck);
  for (const n of ["m1", "m2"]) {
    const i = await info(n);
    expect(i.committee.reachable).toBeLessThan(3);
    // And how long confirmation has waited: no milestone for the 10 s above.
    expect(i.latestMilestoneAgeMs).toBeGreaterThanOrEqual(8000);
    const health = await fetch(`http://127.0.0.1:${ports.get(n)}/health`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/committee/);
  }

  // Restarted on their data: they resume.
  await start("m3", ["m2"]);
  await start("m4", ["m3", "m1"]);
  await until("milestones again", async () => (await latest("f")) >= stuck + 3, 60_000);
  // Killed with SIGKILL in the middle of rounds and restarted, no member signed twice at an index.
  for (const n of ["m1", "m2", "m3", "m4", "f"]) expect((await info(n)).committee.equivocations).toEqual([]);

  // A member that breaks its word: a harness with member 4's key signs two essences at the index
  // the network works on and sends both, as a peer of the follower.
  const genesis = parseGenesis(fs.readFileSync(path.join(tmp, "genesis.json"), "utf8"));
  const key4 = keyPairFromSeed(fromHex(fs.readFileSync(path.join(tmp, "committee-4.key"), "utf8").trim()));
  const essences = [randomBytes(32), randomBytes(32)];
  const peer = await rawPeer(ports.get("f")!);
  peer.send({ t: "hello", protocol: PEER_PROTOCOL_VERSION, networkId: genesis.networkId, genesisId: toHex(genesisTransactionId(genesis)), latestMilestoneIndex: 0 });
  await new Promise((r) => setTimeout(r, 300));
  let caughtAt: number | undefined;
  await until("every node to catch member 4 signing twice", async () => {
    if (caughtAt === undefined) {
      // At the index after the follower's latest milestone (a milestone landing in between makes it another: sent again).
      const index = (await latest("f")) + 1;
      for (const h of essences) peer.send({ t: "csig", index, essenceHash: toHex(h), publicKey: toHex(key4.publicKey), signature: ed25519.sign(h, key4.secretKey) });
      await new Promise((r) => setTimeout(r, 200));
      const seen = (await info("f")).committee.equivocations as { index: number }[];
      if (seen.length) caughtAt = seen[0].index;
      else essences.splice(0, 2, randomBytes(32), randomBytes(32));
    }
    if (caughtAt === undefined) return false;
    for (const n of ["m1", "m2", "m3", "m4", "f"]) if ((await info(n)).committee.equivocations.length === 0) return false;
    return true;
  }, 30_000);
  for (const n of ["m1", "m2", "m3", "m4", "f"]) {
    expect((await info(n)).committee.equivocations).toEqual([{ index: caughtAt, member: members[3], essences: essences.map(toHex) }]);
  }
  expect(procs.get("f")!.logs.join("\n")).toContain(`member ${members[3]} signed two milestones at index ${caughtAt}`);
  peer.ws.close();
});
