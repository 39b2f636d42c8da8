/**
 * Thousands of random and mutated frames thrown at a real node process: it must keep answering,
 * never crash, and its state must not change (this node has no coordinator, so nothing else could
 * change it either).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { attach, signTransaction } from "../../../client/protocol/build";
import { fromHex } from "../../../client/protocol/bytes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { devGenesis } from "../../../node/networks/dev";
import { seededRandom } from "../../../client/util/random";
import { packr, RawClient, startNodeProcess, NodeProcess } from "./_process";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

let node: NodeProcess;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-fuzz-"));
  node = await startNodeProcess(["--network", "dev", "--data", dir, "--no-remote-pow"]);
}, 30_000);

afterAll(async () => {
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The project's seeded generator (client/util/random.ts): a failing seed reproduces. */
const rng = seededRandom;

const METHODS = ["ping", "getNodeInfo", "getDifficulty", "selectParents", "submitTransaction", "getTransaction", "getTransactionMetadata", "getBalance", "getOutputs", "getMilestone", "getStream", "subscribe", "unsubscribe", "bogus", "constructor", ""];

function randomValue(r: ReturnType<typeof rng>, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0:
      return r.int(2 ** 31) - 2 ** 30;
    case 1:
      return r.next() * 1e12;
    case 2:
      return "x".repeat(r.int(70));
    case 3:
      return randomBytes(r.int(100));
    case 4:
      return null;
    case 5:
      return r.int(2) === 0;
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < r.int(5); i++) {
        const k = ["id", "bytes", "topics", "index", "address", "count", "streamId", "limit", "pow", "__proto__"][r.int(10)];
        Object.defineProperty(o, k, { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    default:
      return "ab".repeat(32);
  }
}

test("random and mutated frames: no crash, coded answers, state unchanged", async () => {
  const c = await RawClient.connect(node.url);
  const before = await c.call("getNodeInfo");
  const key = keyPairFromSeed(new Uint8Array(32).fill(3));
  const { parents } = await c.call("selectParents", { count: 2 });
  // Well formed, but signed by another key than its issuer: a mutant that only touches the
  // attachment or the nonce could otherwise be a genuinely valid transaction (its proof of work
  // met by chance) and rightly be stored. This way every mutant is invalid, and state must not move.
  const other = keyPairFromSeed(new Uint8Array(32).fill(4));
  const base = attach(signTransaction({ version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: key.publicKey, payload: { type: "data", streamId: new Uint8Array(32).fill(1), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "x", data: new Uint8Array(10) } }, other.secretKey), parents.map((p: string) => fromHex(p)), Date.now());

  const r = rng(20261122);
  const conns = [c, await RawClient.connect(node.url), await RawClient.connect(node.url)];
  let sent = 0;
  for (let i = 0; i < 4000; i++) {
    const conn = conns[i % conns.length];
    const kind = r.int(5);
    let frame: Buffer | string;
    if (kind === 0) frame = randomBytes(r.int(300));
    else if (kind === 1) frame = packr.pack(randomValue(r));
    else if (kind === 2) frame = packr.pack({ id: 1e7 + r.int(1e6), method: METHODS[r.int(METHODS.length)], params: randomValue(r) });
    else if (kind === 3) {
      const m = Uint8Array.from(base);
      for (let k = 0; k < 1 + r.int(3); k++) m[r.int(m.length)] ^= 1 << r.int(8);
      frame = packr.pack({ id: `fuzz-${i}`, method: "submitTransaction", params: { bytes: m } });
    } else frame = "text frame " + i;
    conn.ws.send(frame);
    sent++;
    if (i % 500 === 499) await conn.call("ping"); // keep pace with the server, and check it answers
  }
  // Every connection still answers, and nothing changed.
  for (const conn of conns) expect(await conn.call("ping")).toBe("pong");
  const after = await c.call("getNodeInfo");
  expect(after.storedTransactions).toBe(before.storedTransactions);
  expect(after.ledgerStateHash).toBe(before.ledgerStateHash);
  expect(after.confirmedMilestoneIndex).toBe(before.confirmedMilestoneIndex);
  expect(node.child.exitCode).toBeNull();
  // Every answer without a matching request carried a coded error.
  const uncoded = conns.flatMap((x) => x.others).filter((m) => !(m && m.error && /^ERR_[A-Z_]+$/.test(m.error.code)) && !(m && "result" in m));
  expect(uncoded).toEqual([]);
  expect(sent).toBe(4000);
  const health = await fetch(`http://127.0.0.1:${node.port}/health`);
  expect(health.status).toBe(200);
  conns.forEach((x) => x.close());
}, 60_000);
