/**
 * A committee change in real `tangle node` processes (docs/committee.md, "Changing the committee"):
 * four members with k = 3 (`tangle network init --committee 4 --threshold 3`) in a ring and a
 * follower; the operators queue on all four, with `tangle committee change`, a change that replaces
 * member 4's key by a fifth key (`tangle key new`) a few milestones ahead; the fifth member's node
 * starts with the new key. The change's milestone is applied everywhere; from its effective index
 * on, milestones are signed by members 1, 2, 3 and 5 only and keep coming; a milestone the test
 * builds at the next index with the signatures of keys 1, 2 and 4 is refused with
 * ERR_MILESTONE_RETIRED_SIGNER; a node started afterwards on an empty data directory syncs from
 * genesis through the change to the same milestones and reports the same chain of committees; and
 * `tangle check` of a stopped member's data directory is clean.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../../client/protocol/build";
import { decodeTransaction } from "../../../client/protocol/codec";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { Code } from "../../../client/protocol/codes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";
import type { MilestoneFields } from "../../../client/protocol/payloads";
import { parseGenesis } from "../../../node/ledger/genesis";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { NodeProcess, RawClient, startNodeProcess } from "../api/_process";
import { tangle } from "../../cli/_run";

jest.setTimeout(180_000);

const INTERVAL_MS = 500;
const TOKEN = "committee-change-test-token";
let tmp: string;
let genesisFile: string;
let networkId: number;
let members: string[];
let fifth: string;
const procs = new Map<string, NodeProcess>();
/** The logs of nodes stopped on the way (COMMITTEE_LOGS=DIR writes them with the others'). */
const stoppedLogs = new Map<string, string[]>();
const clients = new Map<string, RawClient>();
const ports = new Map<string, number>();

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-committee-change-"));
  const init = await tangle(["network", "init", "--out", tmp, "--name", "ring", "--committee", "4", "--threshold", "3", "--interval-ms", String(INTERVAL_MS), "--json"]);
  expect([init.code, init.stderr]).toEqual([0, ""]);
  genesisFile = path.join(tmp, "genesis.json");
  const genesis = parseGenesis(fs.readFileSync(genesisFile, "utf8"));
  members = genesis.committee.members;
  networkId = genesis.networkId;
  const key = await tangle(["key", "new", "--out", path.join(tmp, "committee-5.key"), "--json"]);
  expect([key.code, key.stderr]).toEqual([0, ""]);
  fifth = JSON.parse(key.stdout).publicKey;
  expect(fs.statSync(path.join(tmp, "committee-5.key")).mode & 0o777).toBe(0o600);
});

afterAll(async () => {
  if (process.env.COMMITTEE_LOGS) {
    for (const [n, p] of procs) stoppedLogs.set(n, p.logs);
    for (const [n, logs] of stoppedLogs) fs.writeFileSync(path.join(process.env.COMMITTEE_LOGS, `change-${n}.log`), logs.join("\n"));
  }
  for (const c of clients.values()) c.ws.terminate();
  await Promise.all([...procs.values()].map((p) => p.stop("SIGKILL")));
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts node `name` (m1..m5 hold committee-1..5.key; others none) peered with `peers`. */
async function start(name: string, peers: string[]): Promise<void> {
  const key = name.startsWith("m") ? ["--coordinator-key", path.join(tmp, `committee-${name.slice(1)}.key`), "--admin-token", TOKEN] : [];
  const proc = await startNodeProcess([
    "--network", genesisFile,
    "--data", path.join(tmp, `data-${name}`),
    ...key,
    ...peers.flatMap((p) => ["--peer", `ws://127.0.0.1:${ports.get(p)}`]),
  ]);
  procs.set(name, proc);
  ports.set(name, Number(new URL(proc.url).port));
  clients.set(name, await RawClient.connect(proc.url));
}

async function stop(name: string, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  clients.get(name)?.ws.terminate();
  clients.delete(name);
  await procs.get(name)?.stop(signal);
  if (procs.has(name)) stoppedLogs.set(name, procs.get(name)!.logs);
  procs.delete(name);
}

const call = (name: string, method: string, params?: unknown) => clients.get(name)!.call(method, params);
const latest = async (name: string) => (await call(name, "getNodeInfo")).confirmedMilestoneIndex as number;

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function allAt(names: string[], index: number, timeoutMs = 60_000): Promise<void> {
  await until(`milestone ${index} on ${names.join(", ")}`, async () => {
    for (const n of names) if ((await latest(n)) < index) return false;
    return true;
  }, timeoutMs);
}

/** Milestone `index` as node `name` stored it: its id and payload. */
async function milestoneOf(name: string, index: number) {
  const ms = await call(name, "getMilestone", { index });
  const tx = await call(name, "getTransaction", { id: ms.id });
  const d = decodeTransaction(tx.bytes);
  if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error(`milestone ${index} does not decode`);
  return { id: ms.id as string, payload: d.value.tx.payload };
}

test("a committee change replaces member 4's key by a fifth: carried by a milestone signed by the old quorum, in force from its index, key 4's signatures refused after it, a late node follows the chain from genesis", async () => {
  await start("m1", []);
  await start("m2", ["m1"]);
  await start("m3", ["m2"]);
  await start("m4", ["m3", "m1"]);
  await start("f", ["m1"]);
  await allAt(["m1", "m2", "m3", "m4", "f"], 3);

  // The operators queue the change on the four members' nodes a few milestones ahead: 12 s at the
  // 500 ms interval, for four `tangle` processes to start on two busy cores (5 s was too little).
  const newMembers = [members[0], members[1], members[2], fifth];
  const effectiveIndex = (await latest("f")) + 24;
  const queued = await Promise.all(
    ["m1", "m2", "m3", "m4"].map((n) =>
      tangle(["committee", "change", "--node", `ws://127.0.0.1:${ports.get(n)}`, "--admin-token", TOKEN, "--members", newMembers.join(","), "--threshold", "3", "--effective-index", String(effectiveIndex), "--json"]),
    ),
  );
  for (const r of queued) {
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toEqual({ queued: { members: newMembers, threshold: 3, effectiveIndex } });
  }
  // The fifth member's node, with a key the genesis does not name, joins before the change takes effect.
  await start("m5", ["m1", "m3"]);
  expect(procs.get("m5")!.logs.join("\n")).toContain("it takes part once a committee change names it");

  await allAt(["m1", "m2", "m3", "m4", "m5", "f"], effectiveIndex + 3);

  // The milestone that carried it: before its effective index, signed by a quorum of the old committee.
  let carrier: number | undefined;
  for (let i = 1; i < effectiveIndex && carrier === undefined; i++) {
    const { payload } = await milestoneOf("f", i);
    if (!payload.committeeChange) continue;
    carrier = i;
    expect({ ...payload.committeeChange, members: payload.committeeChange.members.map(toHex) }).toEqual({ effectiveIndex, threshold: 3, members: newMembers });
    expect(payload.signatures.length).toBeGreaterThanOrEqual(3);
    for (const s of payload.signatures) expect(members).toContain(toHex(s.publicKey));
  }
  expect(carrier).toBeDefined();
  // From the effective index on: signed by 1, 2, 3 and 5 only, never by key 4.
  for (let i = effectiveIndex; i <= effectiveIndex + 3; i++) {
    const signers = (await milestoneOf("f", i)).payload.signatures.map((s) => toHex(s.publicKey));
    expect(signers.length).toBeGreaterThanOrEqual(3);
    expect(signers).not.toContain(members[3]);
    for (const s of signers) expect(newMembers).toContain(s);
  }

  // Every node reports the same chain of committees; the queues were cleared once the change applied.
  const chain = [
    { fromIndex: 1, members, threshold: 3 },
    { fromIndex: effectiveIndex, members: newMembers, threshold: 3 },
  ];
  for (const n of ["m1", "m2", "m3", "m4", "m5", "f"]) {
    const c = await call(n, "getCommittee");
    expect([n, c.epochs, c.queued, c.stale]).toEqual([n, chain, null, null]);
  }
  expect((await call("m4", "getNodeInfo")).committee.members).toEqual(newMembers);
  expect(procs.get("m4")!.logs.join("\n")).toContain("this node's key is not in the committee in force");

  // What the operator sees: the chain, the committee in force and the retired one.
  const status = await tangle(["committee", "status", "--node", `ws://127.0.0.1:${ports.get("f")}`]);
  expect([status.code, status.stderr]).toEqual([0, ""]);
  expect(status.stdout).toMatch(new RegExp(`^1 +3 of 4 .*retired$`, "m"));
  expect(status.stdout).toMatch(new RegExp(`^${effectiveIndex} +3 of 4 .*in force$`, "m"));
  expect(status.stdout).toContain("queued here: nothing");

  // A node started now on an empty data directory syncs from genesis through the change.
  await start("late", ["m2"]);
  const target = (await latest("f")) + 1;
  await allAt(["late"], target);
  expect((await call("late", "getCommittee")).epochs).toEqual(chain);
  for (const i of [carrier!, effectiveIndex, target]) expect((await milestoneOf("late", i)).id).toBe((await milestoneOf("f", i)).id);

  // Two of the new committee stopped: no more milestones, so the next index stays put while the
  // test submits its own milestone there, signed by keys 1, 2 and 4: key 4 is retired.
  await stop("m1", "SIGTERM");
  await stop("m2", "SIGKILL");
  await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
  let index = await latest("f");
  await until("the ledger to stay put", async () => {
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    const now = await latest("f");
    const still = now === index;
    index = now;
    return still;
  }, 20_000);
  const seeds = [1, 2, 4].map((i) => fromHex(fs.readFileSync(path.join(tmp, `committee-${i}.key`), "utf8").trim()));
  const keys = seeds.map((s) => keyPairFromSeed(s));
  const previous = await milestoneOf("f", index);
  const before = await milestoneOf("f", index - 1);
  const parents = [fromHex(previous.id), fromHex(before.id)].sort(Buffer.compare);
  const fields: MilestoneFields = {
    type: "milestone",
    index: index + 1,
    timestamp: Date.now(),
    previousMilestoneId: fromHex(previous.id),
    confirmedMerkleRoot: previous.payload.confirmedMerkleRoot,
    ledgerStateHash: previous.payload.ledgerStateHash,
    ledgerRoot: previous.payload.ledgerRoot,
  };
  const payload = milestonePayload(fields, keys.map((k) => signMilestone(networkId, parents, fields, k.publicKey, k.secretKey)));
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId, issuer: keys[0].publicKey, payload }, keys[0].secretKey);
  const bytes = attach(signed, parents, Date.now());
  stampSync(bytes, requiredDifficulty(bytes.length, (await call("f", "getNodeInfo")).difficulty));
  const stored = (await call("f", "getNodeInfo")).storedTransactions;
  const r = await clients.get("f")!.raw("submitTransaction", { bytes });
  expect(r.error?.code).toBe(Code.ERR_MILESTONE_RETIRED_SIGNER);
  const after = await call("f", "getNodeInfo");
  expect([after.confirmedMilestoneIndex, after.storedTransactions, after.diverged]).toEqual([index, stored, null]);

  // The stopped member's data directory checks clean, through the change.
  const check = await tangle(["check", "--data", path.join(tmp, "data-m1"), "--network", genesisFile, "--json"]);
  expect([check.code, check.stderr]).toEqual([0, ""]);
});
