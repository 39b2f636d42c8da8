/**
 * Chaos: kill -9 under load, again and again (issue 15). A real coordinator process takes
 * sensor readings from two issuers and a value transfer each cycle, and is killed with SIGKILL at a
 * random moment of the burst; it is restarted on the same data directory. After the last restart:
 * every transaction it acknowledged is stored and confirmed by a milestone, the confirmed balances
 * of every address involved sum to the supply, and `tangle check` finds the database whole (ids,
 * milestone chain, ledger replay against the stored state hashes).
 */
import * as fs from "node:fs";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { DEV_SUPPLY, devWalletSeed } from "../../node/networks/dev";
import { alice, bob } from "../node/_helpers";
import { NodeProcess, RawClient, startNodeProcess } from "../node/api/_process";
import { buildVia, record } from "../node/api/_tx";
import { paced, report, scale, seeded, tangle, tempDir, until, within } from "./_chaos";

const CYCLES = scale(3, 20);
jest.setTimeout(30_000 + CYCLES * 15_000);

const rng = seeded("kill-restart");
let dir: string;
let proc: NodeProcess | undefined;
beforeAll(() => void (dir = tempDir("kill")));
afterAll(async () => {
  await proc?.stop("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

const args = () => ["--network", "dev", "--coordinator-key", "dev", "--data", dir, "--milestone-interval-ms", "300"];
const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);

test(`${CYCLES} kill -9 cycles under load: every acknowledged transaction confirmed, the ledger sums to the supply, tangle check clean`, async () => {
  const acked = new Set<string>();
  const recipients: string[] = [];
  const restartMs: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    proc = await startNodeProcess(args());
    restartMs.push(proc.readyMs);
    const c = await RawClient.connect(proc.url);
    const call = (m: string, p?: unknown) => within(c.call(m, p), 2000, m);
    const burstMs = 1500;
    const killAt = 200 + rng.int(burstMs - 200);
    const t0 = Date.now();
    const killed = new Promise<void>((r) => setTimeout(() => void proc!.stop("SIGKILL").then(() => r()), killAt));
    // A transfer from the dev wallet's first confirmed output to a fresh address: spends that
    // race a kill may conflict with the next cycle's, which is fine as long as each is confirmed.
    const spend = (async () => {
      try {
        const outs = (await call("getOutputs", { address: toHex(devAddr) })).outputs;
        const input = outs[0];
        const to = addressOf(keyPairFromSeed(rng.bytes(32)).publicKey);
        const amount = 1000n + BigInt(cycle);
        const bytes = await buildVia(call, dev, {
          type: "transfer",
          inputs: [{ txId: fromHex(input.txId), index: input.index }],
          outputs: [
            { address: to, amount },
            { address: devAddr, amount: BigInt(input.amount) - amount },
          ],
        });
        recipients.push(toHex(to));
        acked.add((await call("submitTransaction", { bytes })).id);
      } catch {
        // killed meanwhile
      }
    })();
    let i = 0;
    const readings = [alice, bob].map(async (key, k) => {
      while (Date.now() - t0 < burstMs) {
        const stream = new Uint8Array(32);
        stream.set([cycle & 0xff, cycle >> 8, k, i & 0xff, (i++ >> 8) & 0xff]);
        try {
          const bytes = await buildVia(call, key, record(stream, 0));
          acked.add((await call("submitTransaction", { bytes })).id);
        } catch {
          return; // killed
        }
      }
    });
    await Promise.all([spend, ...readings, killed]);
    c.ws.terminate();
    if (process.env.CHAOS_VERBOSE) process.stderr.write(`cycle ${cycle}: ready in ${Math.round(proc.readyMs)} ms, ${acked.size} acknowledged so far\n`);
  }

  proc = await startNodeProcess(args());
  const c = await RawClient.connect(proc.url);
  let left = [...acked];
  const missing: string[] = [];
  await until(
    "every acknowledged transaction confirmed",
    async () => {
      const next: string[] = [];
      for (const id of left) {
        const r = await paced(c, "getTransactionMetadata", { id });
        if (r.error?.code === "ERR_NOT_FOUND") {
          if (!missing.includes(id)) missing.push(id);
        } else if (r.error) throw new Error(`getTransactionMetadata ${id}: ${r.error.code}`);
        else if (!r.result.confirmed) next.push(id);
      }
      left = next;
      return left.length === 0 || missing.length > 0;
    },
    15_000,
    300,
  ).catch((err: Error) => {
    if (!err.message.startsWith("timed out")) throw err;
  });
  let sum = BigInt((await c.call("getBalance", { address: toHex(devAddr) })).confirmed);
  for (const a of new Set(recipients)) sum += BigInt((await c.call("getBalance", { address: a })).confirmed);
  c.ws.terminate();
  await proc.stop("SIGTERM");
  proc = undefined;
  const check = tangle(["check", "--data", dir, "--json"]);

  report("kill-restart", {
    cycles: CYCLES,
    acknowledged: acked.size,
    missing: missing.length,
    unconfirmed: left.length,
    confirmedShare: (acked.size - left.length - missing.length) / acked.size,
    restartMsMax: Math.max(...restartMs),
    checkExit: check.status,
  });
  expect(acked.size).toBeGreaterThan(CYCLES * 5);
  expect({ missing, unconfirmed: left.slice(0, 5) }).toEqual({ missing: [], unconfirmed: [] });
  expect(sum).toBe(DEV_SUPPLY);
  expect({ status: check.status, signal: check.signal, stderr: check.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
  expect(JSON.parse(check.stdout)).toMatchObject({ ok: true });
});
