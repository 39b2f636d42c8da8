/**
 * The reconnect inventory (node/peering/inventory.ts, protocol 2's `inv`). What the window offers:
 * its newest unconfirmed, non-lazy transactions, capped, never confirmed or lazy ones. The message:
 * parsed within its bound, a malformed one penalised like any malformed peer message. Versions:
 * protocol 1 peers are still accepted and get no `inv`; a protocol 2 peer gets the node's
 * unconfirmed ids right after its hello, and its own `inv` makes the node ask (`req`) for what it
 * lacks, again every requestRetryMs while they do not come; a second `inv`, or one from a peer
 * that said protocol 1, closes with 4003. The network
 * case (a partition healing across three real processes) is test/node/faults/partition-heal.test.ts.
 */
import { randomBytes } from "node:crypto";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { helloFailure } from "../../../node/peering/failures";
import { unconfirmedNonLazy } from "../../../node/peering/inventory";
import { parsePeerMessage, PEER_LIMITS, PEER_PROTOCOL_VERSION, PeerCloseCode } from "../../../node/peering/protocol";
import { TangleWindow } from "../../../node/window";
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx, dataPayload } from "../_helpers";
import { devHello, rawPeer, RawPeer } from "./_peer";

jest.setTimeout(30_000);

const hex = () => randomBytes(32).toString("hex");

describe("unconfirmedNonLazy over a window", () => {
  let seq = 0;
  const add = (w: TangleWindow, parents: string[], ms?: number): string => {
    const id = hex();
    w.recent.add(id, { seq: seq++, receivedMs: 0 });
    w.append(id, parents, 1_000, ms);
    return id;
  };

  test("newest first, confirmed ones and milestones left out, capped at max", () => {
    const w = new TangleWindow(1024, 1n);
    const root = hex(); // outside the window: a boundary
    const a = add(w, [root]);
    const b = add(w, [a]);
    const m1 = add(w, [b], 1); // confirms a and b
    const c = add(w, [m1]);
    const d = add(w, [c]);
    const e = add(w, [m1]);
    expect(unconfirmedNonLazy(w)).toEqual([e, d, c]);
    expect(unconfirmedNonLazy(w, 2)).toEqual([e, d]);
    expect(unconfirmedNonLazy(w, 0)).toEqual([]);
  });

  test("lazy ones (their youngest milestone more than 8 behind the latest) are left out", () => {
    const w = new TangleWindow(1024, 2n);
    let m = add(w, [hex()], 1);
    const old = add(w, [m]); // references milestone 1 only
    for (let i = 2; i <= 12; i++) m = add(w, [m], i); // milestones that do not approve it
    const fresh = add(w, [m]);
    expect(w.graph.score(w.seqOf(old)!)).toBe(0); // TipScore.LAZY
    expect(unconfirmedNonLazy(w)).toEqual([fresh]);
  });
});

describe("the inv message", () => {
  test("a list of at most maxInventoryIds lowercase hex ids; anything else is a reason to penalise", () => {
    const parse = (m: unknown) => parsePeerMessage(packFrame(m), true, false);
    const ids = Array.from({ length: PEER_LIMITS.maxInventoryIds }, hex);
    expect(parse({ t: "inv", ids })).toEqual({ ok: true, msg: { t: "inv", ids } });
    expect(parse({ t: "inv", ids: [] })).toEqual({ ok: true, msg: { t: "inv", ids: [] } });
    for (const bad of [[...ids, hex()], [hex().toUpperCase()], ["ab"], [1], "ab".repeat(32), undefined]) {
      expect(parse({ t: "inv", ids: bad })).toEqual({ ok: false, why: "bad inv" });
    }
    // A full inventory fits in one peer frame.
    expect(packFrame({ t: "inv", ids }).length).toBeLessThan(PEER_LIMITS.maxFrameBytes);
  });

  test("hello: this node's protocol (6, the pruned index), 5 (snapshot transfer) and 4 are taken; protocols 1 and 2 (transactions of version 1), 3 (proposals in the old form), newer, or not an integer refused", () => {
    const ours = { networkId: 7, genesisId: "ab".repeat(32) };
    const h = { t: "hello" as const, networkId: 7, genesisId: "ab".repeat(32), latestMilestoneIndex: 0 };
    expect(PEER_PROTOCOL_VERSION).toBe(6);
    expect(helloFailure({ ...h, protocol: 4 }, ours)).toBeUndefined();
    expect(helloFailure({ ...h, protocol: 5 }, ours)).toBeUndefined();
    expect(helloFailure({ ...h, protocol: 6, prunedMilestoneIndex: 9 }, ours)).toBeUndefined();
    for (const p of [0, 1, 2, 3, 7, 1.5, "4" as unknown as number]) expect(helloFailure({ ...h, protocol: p }, ours)?.code).toBe("ERR_PEER_BAD_PROTOCOL");
  });
});

describe("a node's inventory exchange", () => {
  let n: TestNode;
  let unconfirmed: string[];
  beforeAll(async () => {
    // No coordinator: what it takes stays unconfirmed.
    n = await startTestNode({ coordinator: false });
    unconfirmed = [];
    const stream = randomBytes(32);
    for (let i = 0; i < 3; i++) unconfirmed.push((await n.node.submit(buildTx(n.node, alice, dataPayload(stream, i, i ? Buffer.from(unconfirmed[i - 1], "hex") : undefined)))).id);
  });
  afterAll(async () => n?.close());

  const frames = (p: RawPeer) => p.frames.map((f) => unpackFrame(f) as { t: string; ids?: string[] });
  const settle = () => new Promise((r) => setTimeout(r, 300));

  test("a peer of protocol 2 (the version before transactions of version 2) is refused with 4002 and gets no inv", async () => {
    const p = await rawPeer(n.port, "127.0.0.3");
    p.send({ ...devHello(), protocol: 2 });
    expect(await p.closed).toBe(PeerCloseCode.BAD_PROTOCOL);
    expect(frames(p).map((f) => f.t)).not.toContain("inv");
  });

  test("a peer of this protocol gets the unconfirmed ids, newest first, right after hello; its own inv is answered with req for what the node lacks", async () => {
    const p = await rawPeer(n.port);
    p.send(devHello());
    await settle();
    const got = frames(p);
    expect(got.map((f) => f.t)).toEqual(["hello", "inv"]);
    expect(got[1].ids).toEqual([...unconfirmed].reverse());
    const lacking = [hex(), hex()];
    p.send({ t: "inv", ids: [unconfirmed[0], ...lacking] });
    await settle();
    const reqs = () => frames(p).filter((f) => f.t === "req");
    expect(reqs().flatMap((r) => r.ids).sort()).toEqual([...lacking].sort());
    // Not sent: asked again of this peer (answers stop at a send-buffer bound, so they may come in rounds).
    await new Promise((r) => setTimeout(r, PEER_LIMITS.requestRetryMs + 1200));
    const asked = reqs().flatMap((r) => r.ids as string[]);
    expect(lacking.map((id) => asked.filter((x) => x === id).length >= 2)).toEqual([true, true]);
    expect(new Set(asked)).toEqual(new Set(lacking));
    // One inv per connection: a second is invalid data.
    p.send({ t: "inv", ids: [] });
    expect(await p.closed).toBe(PeerCloseCode.INVALID_DATA);
  });

  test("an inv before hello is invalid data", async () => {
    // From another loopback address: the previous test's ban is on 127.0.0.1.
    const p = await rawPeer(n.port, "127.0.0.2");
    p.send({ t: "inv", ids: [hex()] });
    expect(await p.closed).toBe(PeerCloseCode.INVALID_DATA);
  });
});
