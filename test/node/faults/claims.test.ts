/**
 * Inflated milestone claims (issue 15, defect 5): a hostile peer that announces milestone 2^53 in
 * its hello or in a beat is not believed. The node stays synced (getNodeInfo, selectParents,
 * /health), asks the peer for that milestone, closes the connection when it is not produced within
 * PEER_LIMITS.claimProofTimeoutMs (close code 4008), and bans the address at the
 * PEER_LIMITS.offencesBeforeBan-th offence (close code 4005, new connections refused). A real node
 * peered with it still syncs (its claims are proven by the milestones it sends).
 */
import { startTestNode, TestNode } from "../../support/node";
import { PEER_LIMITS, PeerCloseCode } from "../../../node/peering/protocol";
import { devHello, rawPeer, RawPeer } from "../peering/_peer";

jest.setTimeout(90_000);

const HUGE = 2 ** 53;
let node: TestNode;
let follower: TestNode | undefined;
let coordinator: TestNode | undefined;

beforeAll(async () => {
  node = await startTestNode({ client: true });
});

afterAll(async () => {
  await follower?.close();
  await coordinator?.close();
  await node.close();
});

/** Watches getNodeInfo().synced and /health until `done` settles; returns how long the node was unsynced or unhealthy at most, in one stretch. */
async function watchSynced<T>(done: Promise<T>): Promise<{ value: T | "still open"; longestUnsyncedMs: number; samples: number }> {
  let settled = false;
  let value!: T | "still open";
  // Bounded: a claim must be settled within the proof timeout (plus a retry period and slack).
  const bound = new Promise<"still open">((r) => setTimeout(() => r("still open"), PEER_LIMITS.claimProofTimeoutMs + 3000).unref());
  void Promise.race([done, bound]).then((v) => {
    value = v;
    settled = true;
  });
  let longest = 0;
  let since: number | undefined;
  let samples = 0;
  while (!settled) {
    const info = await node.client!.getNodeInfo();
    const health = await fetch(`http://127.0.0.1:${node.port}/health`);
    await health.arrayBuffer();
    samples++;
    const bad = !info.synced || health.status !== 200;
    const now = Date.now();
    if (bad) since ??= now;
    else since = undefined;
    if (since !== undefined) longest = Math.max(longest, now - since);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { value, longestUnsyncedMs: longest, samples };
}

async function expectHealthy(): Promise<void> {
  const info = await node.client!.getNodeInfo();
  expect(info.synced).toBe(true);
  const health = await fetch(`http://127.0.0.1:${node.port}/health`);
  await health.arrayBuffer();
  expect(health.status).toBe(200);
  expect((await node.client!.selectParents(2)).length).toBeGreaterThan(0);
}

/** The node asked the peer for the claimed milestone (msreq at that index). */
function askedFor(p: RawPeer, index: number): boolean {
  const { unpackFrame } = require("../../../client/protocol/frame") as typeof import("../../../client/protocol/frame");
  return p.frames.some((f) => {
    const m = unpackFrame(f) as { t?: string; index?: number };
    return m.t === "msreq" && m.index === index;
  });
}

test("a hello claiming milestone 2^53 is not believed: the node stays synced, the peer is closed (4008) within the proof timeout", async () => {
  const t0 = Date.now();
  const p = await rawPeer(node.port);
  p.send({ ...devHello(), latestMilestoneIndex: HUGE });
  const { value: code, longestUnsyncedMs, samples } = await watchSynced(p.closed);
  expect(samples).toBeGreaterThan(3);
  expect(code).toBe(PeerCloseCode.UNPROVEN_CLAIM);
  expect(Date.now() - t0).toBeLessThan(PEER_LIMITS.claimProofTimeoutMs + 3000);
  expect(askedFor(p, HUGE)).toBe(true);
  expect(longestUnsyncedMs).toBeLessThanOrEqual(PEER_LIMITS.claimProofTimeoutMs);
  await expectHealthy();
});

test("a beat claiming milestone 2^53 is not believed either; the peer is closed, and the third offence from its address bans it", async () => {
  const p = await rawPeer(node.port);
  p.send(devHello());
  await new Promise((r) => setTimeout(r, 200));
  p.send({ t: "beat", latestMilestoneIndex: HUGE, sentMs: Date.now() });
  const { value: code, longestUnsyncedMs } = await watchSynced(p.closed);
  expect(code).toBe(PeerCloseCode.UNPROVEN_CLAIM);
  expect(longestUnsyncedMs).toBeLessThanOrEqual(PEER_LIMITS.claimProofTimeoutMs);
  await expectHealthy();

  // Offence 3 of 3 from 127.0.0.1 within the window: closed as banned, and the address refused.
  expect(PEER_LIMITS.offencesBeforeBan).toBe(3);
  const q = await rawPeer(node.port);
  q.send({ ...devHello(), latestMilestoneIndex: HUGE - 1 });
  expect(await q.closed).toBe(PeerCloseCode.BANNED);
  const r = await rawPeer(node.port);
  expect(await r.closed).toBe(PeerCloseCode.BANNED);
  await expectHealthy();
  const row = node.started.peering.stats().find((x) => x.url.startsWith("in:127.0.0.1"));
  expect(row?.lastError).toMatchObject({ code: "ERR_PEER_BANNED" });
});

test("an honest peer's claims are proven by the milestones it sends: a new node dialing a coordinator catches up and is synced", async () => {
  // Its own coordinator: 127.0.0.1 is banned at the first one by now.
  coordinator = await startTestNode();
  await new Promise((r) => setTimeout(r, 1000));
  follower = await startTestNode({ coordinator: false, client: true, peer: [`ws://127.0.0.1:${coordinator.port}`] });
  const target = coordinator.node.ledgerIndex;
  expect(target).toBeGreaterThan(5);
  const t0 = Date.now();
  for (;;) {
    const info = await follower.client!.getNodeInfo();
    if (info.synced && info.confirmedMilestoneIndex >= target) break;
    if (Date.now() - t0 > 30_000) throw new Error(`follower did not catch up: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(follower.started.peering.bestKnownMilestone).toBeGreaterThanOrEqual(target);
  expect(coordinator.started.peering.stats().every((x) => x.lastError === null)).toBe(true);
});
