/**
 * node/api/fair-queue.ts: the order in which waiting submissions get their turn (round robin across
 * connections, then across a connection's issuers), the bounds (running, queued per connection,
 * pending per issuer) and their refusals, no starvation, and the scheduler that runs tasks through
 * it (refusal codes, early release, a closed connection's tasks dropped).
 */
import { FairQueue, FairQueueLimits, FairScheduler } from "../../../node/api/fair-queue";
import { Code } from "../../../client/protocol/codes";

const WIDE: FairQueueLimits = { maxRunning: 1000, reservedForIdle: 0, maxQueuedPerConnection: 1000, maxPendingPerIssuer: 1000 };

/** Admits everything admissible now; returns the items in admission order. */
function drain<C, T>(q: FairQueue<C, T>): T[] {
  const out: T[] = [];
  for (let a = q.next(); a; a = q.next()) out.push(a.item);
  return out;
}

describe("FairQueue: order of service", () => {
  test("a connection that queued many gets one turn per round; a newcomer's item is served in the next round, not after the backlog", () => {
    const q = new FairQueue<string, string>(WIDE);
    for (let i = 0; i < 100; i++) expect(q.push("flooder", `f-issuer-${i % 5}`, `f${i}`)).toBeUndefined();
    expect(q.push("honest", "h-issuer", "h0")).toBeUndefined();
    const order = drain(q);
    expect(order).toHaveLength(101);
    // One flooder item, then the honest one: the FIFO order would have put it last.
    expect(order.indexOf("h0")).toBe(1);
  });

  test("connections alternate; within a connection, its issuers alternate; each issuer's items stay in their order", () => {
    const q = new FairQueue<string, string>(WIDE);
    for (const x of ["a1", "a2", "a3"]) q.push("A", "ia", x);
    for (const x of ["b1", "b2"]) q.push("A", "ib", x);
    for (const x of ["c1", "c2"]) q.push("B", "ic", x);
    expect(drain(q)).toEqual(["a1", "c1", "b1", "c2", "a2", "b2", "a3"]);
  });

  test("an item pushed between turns joins the ring behind the connections already waiting", () => {
    const q = new FairQueue<string, string>({ ...WIDE, maxRunning: 1 });
    q.push("A", "x", "a1");
    q.push("A", "x", "a2");
    q.push("B", "y", "b1");
    expect(q.next()?.item).toBe("a1");
    q.push("C", "z", "c1");
    q.finish("A", "x");
    expect(q.next()?.item).toBe("b1");
    q.finish("B", "y");
    expect(q.next()?.item).toBe("a2");
    q.finish("A", "x");
    expect(q.next()?.item).toBe("c1");
  });

  test("no starvation: with a steady flood from several connections, every connection's oldest item is served within one round", () => {
    const q = new FairQueue<number, string>({ ...WIDE, maxRunning: 1 });
    const conns = 7;
    const served: number[] = [];
    // Flooders keep their queues full; connection 3 puts one item in after the flood started.
    for (let c = 0; c < conns; c++) if (c !== 3) for (let i = 0; i < 50; i++) q.push(c, `i${c}`, `${c}:${i}`);
    let lone = -1;
    for (let turn = 0; turn < 200; turn++) {
      if (turn === 10) {
        q.push(3, "i3", "3:0");
        lone = turn;
      }
      const a = q.next()!;
      served.push(a.conn);
      q.finish(a.conn, a.issuer);
      if (a.conn !== 3) q.push(a.conn, a.issuer, `${a.conn}:more`);
      if (a.item === "3:0") {
        expect(turn - lone).toBeLessThanOrEqual(conns - 1);
        lone = -2;
      }
    }
    expect(lone).toBe(-2);
    // Every flooding connection got the same share of the turns (± one round).
    const counts = Array.from({ length: conns }, (_, c) => served.filter((x) => x === c).length).filter((_, c) => c !== 3);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});

describe("FairQueue: turns reserved for idle connections", () => {
  test("once maxRunning - reservedForIdle are running, only a connection with nothing running is admitted; a newcomer skips the busy connections' queue", () => {
    const q = new FairQueue<string, string>({ ...WIDE, maxRunning: 4, reservedForIdle: 2 });
    for (let i = 0; i < 10; i++) q.push("F", `f${i % 3}`, `f${i}`);
    for (let i = 0; i < 10; i++) q.push("G", "g", `g${i}`);
    // Two unreserved turns go round robin; then the flooders, both busy, wait.
    expect(drain(q)).toEqual(["f0", "g0"]);
    expect(q.running).toBe(2);
    q.push("H", "h", "h0");
    q.push("I", "i", "i0");
    q.push("I", "i", "i1");
    // The reserved turns: one each for the idle connections, in ring order; I, busy now, waits too.
    expect(drain(q)).toEqual(["h0", "i0"]);
    expect(q.running).toBe(4);
    expect(q.next()).toBeUndefined();
    // F's only item running finishes: F is idle again and takes the freed (reserved) turn; G stays busy.
    q.finish("F", "f0");
    expect(q.next()?.item).toBe("f1");
    expect(q.runningFor("F")).toBe(1);
    q.finish("H", "h");
    expect(q.runningFor("H")).toBe(0);
    expect(q.next()).toBeUndefined();
  });
});

describe("FairQueue: bounds and refusals", () => {
  test("at most maxRunning admitted until finished", () => {
    const q = new FairQueue<string, number>({ ...WIDE, maxRunning: 2 });
    for (let i = 0; i < 5; i++) q.push("A", `i${i}`, i);
    expect(drain(q)).toEqual([0, 1]);
    expect(q.running).toBe(2);
    expect(q.queued).toBe(3);
    q.finish("A", "i0");
    expect(drain(q)).toEqual([2]);
    expect(q.next()).toBeUndefined();
  });

  test("a connection's queue over its bound is refused ('connection'), changing nothing; others still queue", () => {
    const q = new FairQueue<string, number>({ ...WIDE, maxQueuedPerConnection: 3 });
    for (let i = 0; i < 3; i++) expect(q.push("A", `i${i}`, i)).toBeUndefined();
    expect(q.push("A", "other", 99)).toBe("connection");
    expect(q.queuedFor("A")).toBe(3);
    expect(q.pendingFor("other")).toBe(0);
    expect(q.push("B", "other", 7)).toBeUndefined();
    // Admitted items leave the connection's queue: room again.
    expect(q.next()?.item).toBe(0);
    expect(q.push("A", "i9", 9)).toBeUndefined();
  });

  test("an issuer's pending (queued + running, all connections) over its bound is refused ('issuer') until one finishes", () => {
    const q = new FairQueue<string, number>({ ...WIDE, maxPendingPerIssuer: 3 });
    expect(q.push("A", "key", 1)).toBeUndefined();
    expect(q.push("B", "key", 2)).toBeUndefined();
    expect(q.push("C", "key", 3)).toBeUndefined();
    expect(q.push("D", "key", 4)).toBe("issuer");
    expect(q.queuedFor("D")).toBe(0);
    expect(q.next()?.item).toBe(1);
    // Running still counts.
    expect(q.push("D", "key", 4)).toBe("issuer");
    q.finish("A", "key");
    expect(q.push("D", "key", 4)).toBeUndefined();
    expect(q.pendingFor("key")).toBe(3);
  });

  test("dropConnection removes its waiting items and their issuers' counts; the ring goes on without it", () => {
    const q = new FairQueue<string, string>({ ...WIDE, maxRunning: 1 });
    q.push("A", "x", "a1");
    q.push("B", "y", "b1");
    q.push("B", "z", "b2");
    q.push("C", "x", "c1");
    expect(q.dropConnection("B").sort()).toEqual(["b1", "b2"]);
    expect(q.pendingFor("y")).toBe(0);
    expect(q.pendingFor("x")).toBe(2);
    expect(q.queued).toBe(2);
    expect(q.next()?.item).toBe("a1");
    q.finish("A", "x");
    expect(q.next()?.item).toBe("c1");
    expect(q.dropConnection("nobody")).toEqual([]);
  });
});

describe("FairScheduler", () => {
  const deferred = () => {
    let resolve!: (v: string) => void;
    const promise = new Promise<string>((r) => (resolve = r));
    return { promise, resolve };
  };

  test("runs at most maxRunning at once, the next in fair order as one settles, and passes results and errors through", async () => {
    const s = new FairScheduler<string>({ maxRunning: 1, reservedForIdle: 0, maxQueuedPerConnection: 100, maxPendingPerIssuer: 100 });
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const task = (name: string) => () => {
      started.push(name);
      const d = deferred();
      gates.set(name, d);
      return d.promise;
    };
    const results = [s.run("F", "f", task("f1")), s.run("F", "f", task("f2")), s.run("F", "f", task("f3")), s.run("H", "h", task("h1"))];
    expect(started).toEqual(["f1"]);
    gates.get("f1")!.resolve("one");
    await expect(results[0]).resolves.toBe("one");
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(["f1", "f2"]);
    gates.get("f2")!.resolve("two");
    await new Promise((r) => setImmediate(r));
    // The honest connection's task comes before the flooder's third.
    expect(started).toEqual(["f1", "f2", "h1"]);
    const failing = s.run("H", "h", () => Promise.reject(new Error("boom")));
    gates.get("h1")!.resolve("h");
    await expect(results[3]).resolves.toBe("h");
    await new Promise((r) => setImmediate(r));
    gates.get("f3")!.resolve("three");
    await expect(failing).rejects.toThrow("boom");
    expect(s.running).toBe(0);
    expect(s.queued).toBe(0);
  });

  test("release() ends a task's turn before it settles", async () => {
    const s = new FairScheduler<string>({ maxRunning: 1, reservedForIdle: 0, maxQueuedPerConnection: 100, maxPendingPerIssuer: 100 });
    const slow = deferred();
    let releaseFirst!: () => void;
    const first = s.run("A", "a", (release) => {
      releaseFirst = release;
      return slow.promise;
    });
    let secondRan = false;
    const second = s.run("B", "b", async () => {
      secondRan = true;
      return "second";
    });
    await new Promise((r) => setImmediate(r));
    expect(secondRan).toBe(false);
    releaseFirst();
    releaseFirst(); // twice changes nothing
    await expect(second).resolves.toBe("second");
    expect(s.running).toBe(0);
    slow.resolve("first");
    await expect(first).resolves.toBe("first");
    expect(s.running).toBe(0);
  });

  test("refusals carry their codes and run nothing: ERR_TOO_MANY_IN_FLIGHT (connection), ERR_ISSUER_BUSY (issuer)", async () => {
    const s = new FairScheduler<string>({ maxRunning: 1, reservedForIdle: 0, maxQueuedPerConnection: 1, maxPendingPerIssuer: 2 });
    const hold = deferred();
    const running = s.run("A", "k", () => hold.promise);
    const queued = s.run("A", "k", async () => "queued");
    let ran = false;
    await expect(s.run("A", "other", async () => ((ran = true), "x"))).rejects.toMatchObject({ code: Code.ERR_TOO_MANY_IN_FLIGHT });
    await expect(s.run("B", "k", async () => ((ran = true), "x"))).rejects.toMatchObject({ code: Code.ERR_ISSUER_BUSY });
    expect(ran).toBe(false);
    hold.resolve("done");
    await expect(running).resolves.toBe("done");
    await expect(queued).resolves.toBe("queued");
  });

  test("a closed connection's waiting tasks reject with the reason given and never run", async () => {
    const s = new FairScheduler<string>({ maxRunning: 1, reservedForIdle: 0, maxQueuedPerConnection: 10, maxPendingPerIssuer: 10 });
    const hold = deferred();
    const running = s.run("A", "a", () => hold.promise);
    let ran = false;
    const waiting = s.run("B", "b", async () => ((ran = true), "x"));
    s.dropConnection("B", new Error("closed"));
    await expect(waiting).rejects.toThrow("closed");
    hold.resolve("ok");
    await running;
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
    expect(s.queued).toBe(0);
  });

  test("idle: a connection with nothing waiting or processed (its next submission is a lone one)", async () => {
    const s = new FairScheduler<string>({ maxRunning: 1, reservedForIdle: 0, maxQueuedPerConnection: 10, maxPendingPerIssuer: 10 });
    expect(s.idle("A")).toBe(true);
    const hold = deferred();
    const running = s.run("A", "a", () => hold.promise);
    const waiting = s.run("B", "b", async () => "b");
    expect([s.idle("A"), s.idle("B"), s.idle("C")]).toEqual([false, false, true]);
    hold.resolve("a");
    await running;
    await waiting;
    await new Promise((r) => setImmediate(r));
    expect([s.idle("A"), s.idle("B")]).toEqual([true, true]);
  });
});
