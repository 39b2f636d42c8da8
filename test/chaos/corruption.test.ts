/**
 * Chaos: damaged database files (issue 15). A real node stores a few hundred transactions and
 * stops cleanly; then, trial after trial, a copy of its data folder is damaged in a seeded random
 * way — byte flips scattered over data.mdb, a burst of flips in one place, a zeroed 4 KiB page, a
 * truncation, a zeroed or garbage lock file — and `tangle node` and `tangle check` are run on it.
 * Never a signal (SIGSEGV, SIGBUS, an abort): the node either starts, or refuses with
 * "database damaged" and exit code 1; `tangle check` exits 0 or 1. A node that starts never serves
 * a transaction whose bytes do not hash to the id asked for: each is served intact or refused with
 * ERR_STORAGE_CORRUPT (or is not found, when the damage took its key).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { spawnNode } from "../../bench/lib/processes";
import { alice } from "../node/_helpers";
import { NodeProcess, RawClient, startNodeProcess } from "../node/api/_process";
import { buildVia, record } from "../node/api/_tx";
import { paced, report, scale, seeded, tangle, tempDir } from "./_chaos";

const TRIALS = scale(6, 40);
const STORED = 300;
jest.setTimeout(60_000 + TRIALS * 15_000);

const rng = seeded("corruption");
let base: string;
const ids: string[] = [];
const cleanup: string[] = [];

beforeAll(async () => {
  base = tempDir("corrupt-base");
  cleanup.push(base);
  const p = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", base, "--milestone-interval-ms", "300"]);
  const c = await RawClient.connect(p.url);
  const call = (m: string, params?: unknown) => c.call(m, params);
  for (let i = 0; i < STORED; i++) {
    const stream = new Uint8Array(32);
    stream.set([i & 0xff, i >> 8]);
    ids.push((await call("submitTransaction", { bytes: await buildVia(call, alice, record(stream, 0)) })).id);
  }
  c.close();
  expect(await p.stop("SIGTERM")).toBe(0);
});

afterAll(() => cleanup.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

type Damage = { kind: string; apply(dir: string): void };
const PAGE = 4096;
const damages: Damage[] = [
  {
    kind: "flips scattered over data.mdb",
    apply(dir) {
      const f = path.join(dir, "data.mdb");
      const buf = fs.readFileSync(f);
      for (let i = 0, n = 1 + rng.int(200); i < n; i++) buf[rng.int(buf.length)] ^= 1 + rng.int(255);
      fs.writeFileSync(f, buf);
    },
  },
  {
    kind: "a burst of flips in one page",
    apply(dir) {
      const f = path.join(dir, "data.mdb");
      const buf = fs.readFileSync(f);
      const at = rng.int(buf.length / PAGE) * PAGE;
      for (let i = 0; i < 64; i++) buf[at + rng.int(PAGE)] ^= 1 + rng.int(255);
      fs.writeFileSync(f, buf);
    },
  },
  {
    kind: "a zeroed page",
    apply(dir) {
      const f = path.join(dir, "data.mdb");
      const buf = fs.readFileSync(f);
      const at = (2 + rng.int(buf.length / PAGE - 2)) * PAGE;
      buf.fill(0, at, at + PAGE);
      fs.writeFileSync(f, buf);
    },
  },
  {
    kind: "a truncation",
    apply(dir) {
      const f = path.join(dir, "data.mdb");
      fs.truncateSync(f, rng.int(fs.statSync(f).size));
    },
  },
  {
    kind: "a zeroed meta page",
    apply(dir) {
      const f = path.join(dir, "data.mdb");
      const copy = fs.readFileSync(f);
      const at = rng.int(2) * PAGE;
      copy.fill(0, at, at + PAGE);
      fs.writeFileSync(f, copy);
    },
  },
  {
    kind: "a garbage lock file",
    apply(dir) {
      const f = path.join(dir, "lock.mdb");
      if (fs.existsSync(f)) fs.writeFileSync(f, rng.bytes(fs.statSync(f).size || 8192));
      const buf = fs.readFileSync(path.join(dir, "data.mdb"));
      buf[rng.int(buf.length)] ^= 0xff;
      fs.writeFileSync(path.join(dir, "data.mdb"), buf);
    },
  },
];

interface Outcome {
  trial: number;
  kind: string;
  node: string;
  check: string;
  wrongAnswers: number;
  said?: { node: string; check: string };
}

test(`${TRIALS} damaged copies: never a signal, never a wrong answer`, async () => {
  const outcomes: Outcome[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const damage = damages[trial < damages.length ? trial : rng.int(damages.length)];
    const dir = tempDir("corrupt");
    cleanup.push(dir);
    fs.cpSync(base, dir, { recursive: true });
    damage.apply(dir);

    const check = tangle(["check", "--data", dir, "--json"], 30_000);
    const checkOutcome = check.signal ? `signal ${check.signal}` : `exit ${check.status}`;

    const spawned = spawnNode(["--network", "dev", "--data", dir], { timeoutMs: 15_000 });
    let nodeOutcome: string;
    let wrong = 0;
    let started: NodeProcess | undefined;
    try {
      started = await spawned.listening;
    } catch {
      // refused (or died): the exit tells which
    }
    if (started) {
      const c = await RawClient.connect(started.url);
      for (const id of ids) {
        let r: any;
        try {
          r = await paced(c, "getTransaction", { id });
        } catch {
          break; // the node went away: its exit is judged below
        }
        if (r.result && toHex(transactionId(r.result.bytes)) !== id) wrong++;
        if (r.error && !["ERR_STORAGE_CORRUPT", "ERR_NOT_FOUND"].includes(r.error.code)) wrong++;
      }
      c.ws.terminate();
      await started.stop("SIGTERM");
    }
    await spawned.exited;
    const child = spawned.child;
    if (child.signalCode && !(started && child.signalCode === "SIGTERM")) nodeOutcome = `signal ${child.signalCode}`;
    else if (started) nodeOutcome = "started";
    else nodeOutcome = `exit ${child.exitCode}${/database damaged/.test(spawned.logs.join("\n")) ? " (database damaged)" : ""}`;
    const expected = ["started", "exit 1 (database damaged)"].includes(nodeOutcome) && ["exit 0", "exit 1"].includes(checkOutcome) && wrong === 0;
    // What the node and tangle check said, when the outcome is not one of those allowed.
    const said = expected ? undefined : { node: spawned.logs.slice(-3).join("\n").slice(-1500), check: check.stderr.slice(-500) };
    outcomes.push({ trial, kind: damage.kind, node: nodeOutcome, check: checkOutcome, wrongAnswers: wrong, ...(said ? { said } : {}) });
  }
  const byOutcome: Record<string, number> = {};
  for (const o of outcomes) byOutcome[o.node] = (byOutcome[o.node] ?? 0) + 1;
  report("corruption", { trials: TRIALS, outcomes: byOutcome, wrongAnswers: outcomes.reduce((s, o) => s + o.wrongAnswers, 0) });
  const bad = outcomes.filter((o) => !["started", "exit 1 (database damaged)"].includes(o.node) || !["exit 0", "exit 1"].includes(o.check) || o.wrongAnswers > 0);
  expect({ seed: rng.seed, bad }).toEqual({ seed: rng.seed, bad: [] });
});
