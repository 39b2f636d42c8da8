/**
 * Turns (node/api/turns.ts): requests run round robin across connections, in slices, and only for
 * connections that are ready. Driven by hand: `later` collects the scheduled slice, and the clock
 * advances by one unit per request run, so a slice's length is a count here.
 */
import { Turns } from "../../../node/api/turns";

function harness(sliceMs = 1000) {
  let clock = 0;
  const pending: (() => void)[] = [];
  const ran: string[] = [];
  const notReady = new Set<string>();
  const turns = new Turns<string>({ ready: (c) => !notReady.has(c), sliceMs, now: () => clock, later: (fn) => void pending.push(fn) });
  const task = (c: string, i: number) => () => {
    ran.push(`${c}${i}`);
    clock++;
  };
  /** Runs scheduled slices until none is left; returns how many ran. */
  const drain = () => {
    let n = 0;
    while (pending.length) {
      pending.shift()!();
      n++;
    }
    return n;
  };
  return { turns, task, ran, notReady, drain, pending };
}

test("one request per connection per round: a backlog of 100 delays another connection's request by one round", () => {
  const h = harness();
  for (let i = 0; i < 100; i++) h.turns.enqueue("flood", h.task("flood", i));
  h.turns.enqueue("honest", h.task("honest", 0));
  h.turns.enqueue("other", h.task("other", 0));
  h.turns.enqueue("other", h.task("other", 1));
  h.drain();
  expect(h.ran.slice(0, 6)).toEqual(["flood0", "honest0", "other0", "flood1", "other1", "flood2"]);
  expect(h.ran).toHaveLength(103);
  // Each connection's own requests keep their order.
  expect(h.ran.filter((r) => r.startsWith("flood"))).toEqual(Array.from({ length: 100 }, (_, i) => `flood${i}`));
});

test("a slice stops when its time is spent and the next one is scheduled after I/O", () => {
  const h = harness(10);
  for (let i = 0; i < 25; i++) h.turns.enqueue("a", h.task("a", i));
  expect(h.pending).toHaveLength(1); // one slice scheduled, however many requests
  h.pending.shift()!();
  expect(h.ran).toHaveLength(10);
  expect(h.pending).toHaveLength(1);
  // A request read between slices takes its turn in the next round.
  h.turns.enqueue("b", h.task("b", 0));
  h.pending.shift()!();
  expect(h.ran.slice(10, 13)).toEqual(["a10", "b0", "a11"]);
  expect(h.drain()).toBe(1);
  expect(h.ran).toHaveLength(26);
});

test("a connection that is not ready keeps its requests until woken; one that is dropped loses them", () => {
  const h = harness();
  h.notReady.add("paused");
  for (let i = 0; i < 3; i++) h.turns.enqueue("paused", h.task("paused", i));
  h.turns.enqueue("live", h.task("live", 0));
  h.drain();
  expect(h.ran).toEqual(["live0"]);
  expect(h.turns.waiting("paused")).toBe(3);
  expect(h.pending).toHaveLength(0); // nothing ready: no slice keeps spinning
  h.notReady.delete("paused");
  h.turns.wake("paused");
  h.drain();
  expect(h.ran).toEqual(["live0", "paused0", "paused1", "paused2"]);

  h.turns.enqueue("gone", h.task("gone", 0));
  h.turns.drop("gone");
  h.drain();
  expect(h.ran).not.toContain("gone0");
  expect(h.turns.waiting("gone")).toBe(0);
  h.turns.wake("gone");
  expect(h.pending).toHaveLength(0);
});

test("a request that pauses its own connection stops that connection's next one in the same slice", () => {
  const h = harness();
  for (let i = 0; i < 5; i++)
    h.turns.enqueue("c", () => {
      h.ran.push(`c${i}`);
      if (i === 1) h.notReady.add("c");
    });
  h.turns.enqueue("d", h.task("d", 0));
  h.drain();
  expect(h.ran).toEqual(["c0", "d0", "c1"]);
  expect(h.turns.waiting("c")).toBe(3);
});
