/**
 * node/solidifier.ts on its own (no storage, fake timers): a transaction waits until every parent
 * is stored; parents being written are awaited; unknown parents are announced once, except those
 * on their way through submit here; a failed arrival wakes its waiters, who then announce it; the
 * wait is bounded in count (ERR_SOLIDIFIER_FULL) and in time (ERR_TX_NOT_SOLID).
 */
import { toHex } from "../../client/protocol/bytes";
import { NodeErrorCode } from "../../node/errors";
import { Solidifier } from "../../node/solidifier";
import type { MissingEvent } from "../../node/events";

const idOf = (n: number) => new Uint8Array(32).fill(n);
const hexOf = (n: number) => toHex(idOf(n));

function setup(maxWaiting = 10) {
  const stored = new Set<string>([hexOf(1)]);
  const announced: MissingEvent[] = [];
  let now = 1_000;
  const solid = new Solidifier({
    now: () => now,
    maxWaiting,
    isEntryPoint: (h) => h === hexOf(0),
    isStored: (h) => stored.has(h),
    announce: (e) => announced.push(e),
  });
  const store = (n: number) => {
    stored.add(hexOf(n));
    solid.wake(hexOf(n));
  };
  const advance = (ms: number) => {
    now += ms;
    jest.advanceTimersByTime(ms);
  };
  return { solid, announced, store, advance };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Lets pending promise callbacks run (fake timers do not touch microtasks). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

test("stored parents and entry points need no wait; unknown ones are announced once, with the sender", async () => {
  const { solid, announced, store } = setup();
  await expect(solid.awaitParents([idOf(0), idOf(1)], 5000)).resolves.toBeUndefined();
  let done = false;
  const p = solid.awaitParents([idOf(1), idOf(2), idOf(3)], 5000, "peer-a").then(() => (done = true));
  await settle();
  expect(announced).toEqual([{ ids: [hexOf(2), hexOf(3)], source: "peer-a" }]);
  expect([solid.isAwaited(hexOf(2)), solid.isAwaited(hexOf(3))]).toEqual([true, true]);
  store(2);
  await settle();
  expect(done).toBe(false);
  expect(announced).toHaveLength(1); // parent 3 was announced already
  store(3);
  await p;
  expect(solid.isAwaited(hexOf(3))).toBe(false);
});

test("a parent being written is awaited, not announced; one whose write fails is then announced", async () => {
  const { solid, announced } = setup();
  let fail!: (e: Error) => void;
  solid.writes.set(hexOf(4), new Promise<void>((_r, reject) => (fail = reject)));
  const p = solid.awaitParents([idOf(4)], 5000);
  await settle();
  expect(announced).toEqual([]);
  solid.writes.delete(hexOf(4));
  fail(new Error("disk full"));
  await settle();
  expect(announced).toEqual([{ ids: [hexOf(4)], source: undefined }]);
  solid.wake(hexOf(4)); // wakes without it being stored: it looks again and keeps waiting
  await settle();
  expect(solid.isAwaited(hexOf(4))).toBe(true);
  expect(announced).toHaveLength(1); // not announced twice to the same waiter
  void p.catch(() => undefined);
});

test("a parent arriving here is not announced; if that attempt fails its waiters wake and announce it", async () => {
  const { solid, announced } = setup();
  solid.arrive(hexOf(5));
  expect(solid.isArriving(hexOf(5))).toBe(true);
  const p = solid.awaitParents([idOf(5)], 5000);
  await settle();
  expect(announced).toEqual([]);
  solid.depart(hexOf(5)); // its write never started
  await settle();
  expect(solid.isArriving(hexOf(5))).toBe(false);
  expect(announced).toEqual([{ ids: [hexOf(5)], source: undefined }]);
  void p.catch(() => undefined);
});

test("waiting is bounded in time and in count, and a finished wait frees its place", async () => {
  const { solid, advance, store } = setup(1);
  const first = solid.awaitParents([idOf(6)], 300);
  await settle();
  await expect(solid.awaitParents([idOf(7)], 300)).rejects.toMatchObject({ code: NodeErrorCode.SOLIDIFIER_FULL });
  advance(299);
  await settle();
  advance(1);
  await expect(first).rejects.toMatchObject({ code: NodeErrorCode.NOT_SOLID, message: `parents still unknown after 300 ms: ${hexOf(6)}` });
  // The place is free again.
  const again = solid.awaitParents([idOf(8)], 300);
  await settle();
  store(8);
  await expect(again).resolves.toBeUndefined();
});

test("a peer's transaction that finds every place taken takes the place of the peer transaction that waited longest; a client's is refused", async () => {
  const { solid, store } = setup(2);
  const oldest = solid.awaitParents([idOf(6)], 60_000, "peer-a");
  const second = solid.awaitParents([idOf(7)], 60_000, "peer-a");
  await settle();
  // A client's submission (no source) is refused, nothing given way.
  await expect(solid.awaitParents([idOf(8)], 60_000)).rejects.toMatchObject({ code: NodeErrorCode.SOLIDIFIER_FULL });
  // A peer's: the oldest waiter gives way, failing as not solid.
  const newest = solid.awaitParents([idOf(9)], 60_000, "peer-b");
  await expect(oldest).rejects.toMatchObject({ code: NodeErrorCode.NOT_SOLID });
  await settle();
  // Two wait (second, newest): a third peer transaction takes second's place, not newest's.
  const third = solid.awaitParents([idOf(10)], 60_000, "peer-b");
  await expect(second).rejects.toMatchObject({ code: NodeErrorCode.NOT_SOLID });
  store(9);
  store(10);
  await expect(newest).resolves.toBeUndefined();
  await expect(third).resolves.toBeUndefined();
  // The places are free again: a client's submission waits.
  const client = solid.awaitParents([idOf(11)], 60_000);
  await settle();
  store(11);
  await expect(client).resolves.toBeUndefined();
});
