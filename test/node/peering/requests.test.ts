/**
 * Solidification requests (node/peering/requests.ts), with the clock passed in and peers that
 * record what they are sent: missing parents are asked of the peer that sent the child first,
 * batched by at most PEER_LIMITS.maxIdsPerRequest ids; a retry after requestRetryMs goes to a peer
 * not asked yet, then to any; nothing is asked again while the transaction is arriving or was seen;
 * a request ends when the transaction is stored, when nothing waits for it (counted as given up), or
 * after requestGiveUpMs; at most maxOutstandingRequests are open; no ready peer, no request.
 */
import type { Peer } from "../../../node/peering/peer";
import { PEER_LIMITS } from "../../../node/peering/protocol";
import { SolidificationRequests } from "../../../node/peering/requests";

interface FakePeer {
  key: string;
  ready: boolean;
  sent: { t: string; ids: string[] }[];
  send(msg: unknown): void;
}

function peer(key: string, ready = true): FakePeer {
  const p: FakePeer = { key, ready, sent: [], send: (m) => p.sent.push(m as { t: string; ids: string[] }) };
  return p;
}

const id = (n: number) => n.toString(16).padStart(64, "0");
const asked = (p: FakePeer) => p.sent.flatMap((m) => m.ids);

function setup(peers: FakePeer[]) {
  const state = { stored: new Set<string>(), awaited: new Set<string>(), arriving: new Set<string>(), seen: new Set<string>() };
  const node = { hasTransaction: (x: string) => state.stored.has(x), isAwaited: (x: string) => state.awaited.has(x), isArriving: (x: string) => state.arriving.has(x) };
  const r = new SolidificationRequests(node, () => peers as unknown as Peer[], (x) => state.seen.has(x));
  return { r, state };
}

test("asked first of the peer that sent the child, in batches of maxIdsPerRequest", () => {
  const a = peer("a");
  const b = peer("b");
  const { r, state } = setup([a, b]);
  const ids = Array.from({ length: PEER_LIMITS.maxIdsPerRequest + 3 }, (_, i) => id(i));
  ids.forEach((x) => state.awaited.add(x));
  r.missing(ids, 1000, b as unknown as Peer);
  expect(a.sent).toEqual([]);
  expect(b.sent.map((m) => [m.t, m.ids.length])).toEqual([
    ["req", PEER_LIMITS.maxIdsPerRequest],
    ["req", 3],
  ]);
  expect(asked(b)).toEqual(ids);
  // Asked once: the same ids again are already open.
  r.missing(ids, 1001, b as unknown as Peer);
  expect(b.sent).toHaveLength(2);
});

test("a retry after requestRetryMs goes to a peer not asked yet, then to any", () => {
  const a = peer("a");
  const b = peer("b");
  const { r, state } = setup([a, b]);
  state.awaited.add(id(1));
  r.missing([id(1)], 0, a as unknown as Peer);
  r.retry(PEER_LIMITS.requestRetryMs - 1);
  expect([asked(a), asked(b)]).toEqual([[id(1)], []]);
  r.retry(PEER_LIMITS.requestRetryMs);
  expect([asked(a), asked(b)]).toEqual([[id(1)], [id(1)]]);
  // Both asked: the next retry goes to one of them.
  r.retry(2 * PEER_LIMITS.requestRetryMs);
  expect(asked(a).length + asked(b).length).toBe(3);
});

test("not asked again while arriving or seen; ends when stored, when nobody waits, or when too old", () => {
  const a = peer("a");
  const { r, state } = setup([a]);
  for (const n of [1, 2, 3, 4]) state.awaited.add(id(n));
  r.missing([id(1), id(2), id(3), id(4)], 0);
  expect(asked(a)).toHaveLength(4);
  state.arriving.add(id(1));
  state.seen.add(id(2));
  state.stored.add(id(3));
  state.awaited.delete(id(4));
  r.retry(PEER_LIMITS.requestRetryMs);
  expect(asked(a)).toHaveLength(4);
  expect([1, 2, 3, 4].map((n) => r.has(id(n)))).toEqual([true, true, false, false]);
  expect(r.givenUp).toBe(1);
  // Past the give-up age the rest go too.
  r.retry(PEER_LIMITS.requestGiveUpMs + 1);
  expect([r.has(id(1)), r.has(id(2)), r.givenUp]).toEqual([false, false, 3]);
});

test("bounded in count; no ready peer, nothing sent; keepAsking only what something waits for", () => {
  const idle = peer("idle", false);
  const { r } = setup([idle]);
  const ids = Array.from({ length: PEER_LIMITS.maxOutstandingRequests + 5 }, (_, i) => id(i));
  r.missing(ids, 0);
  expect(idle.sent).toEqual([]);
  expect(r.has(id(PEER_LIMITS.maxOutstandingRequests - 1))).toBe(true);
  expect(r.has(id(PEER_LIMITS.maxOutstandingRequests))).toBe(false);
  const fresh = setup([peer("a")]);
  fresh.r.keepAsking(id(7), idle as unknown as Peer, 0);
  expect(fresh.r.has(id(7))).toBe(false);
  fresh.state.awaited.add(id(7));
  fresh.r.keepAsking(id(7), idle as unknown as Peer, 0);
  expect(fresh.r.has(id(7))).toBe(true);
});
