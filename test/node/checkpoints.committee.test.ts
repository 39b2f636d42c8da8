/**
 * Checkpoints with a committee (k = 3 of 4, real `tangle node` processes from `tangle network init
 * --committee 4 --threshold 3`, in a ring, plus a follower that holds no key and peers with m1):
 * the round's proposer sweeps every unconfirmed tip into checkpoints before it builds
 * (node/committee/driver.ts), so a burst of 520 records on the same two parents, sent to the
 * follower, is confirmed within a few milestones of its end: the records travel two hops to the
 * farthest proposer, and a proposal built before they arrived goes out without them.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient } from "../../client/node";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex } from "../../client/protocol/bytes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { Genesis, parseGenesis } from "../../node/ledger/genesis";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { NodeProcess, startNodeProcess } from "./api/_process";
import { tangle } from "../cli/_run";

jest.setTimeout(180_000);

const INTERVAL_MS = 500;
/** Milestones after the burst's end by which every record must be confirmed (see the header). */
const WITHIN_MILESTONES = 3;
let tmp: string;
let genesis: Genesis;
const procs = new Map<string, NodeProcess>();
const clients = new Map<string, ApiClient>();

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-checkpoints-committee-"));
  const init = await tangle(["network", "init", "--out", tmp, "--name", "ring", "--committee", "4", "--threshold", "3", "--interval-ms", String(INTERVAL_MS), "--json"]);
  expect([init.code, init.stderr]).toEqual([0, ""]);
  genesis = parseGenesis(fs.readFileSync(path.join(tmp, "genesis.json"), "utf8"));
  const start = async (name: string, peers: string[]) => {
    const key = name.startsWith("m") ? ["--coordinator-key", path.join(tmp, `committee-${name.slice(1)}.key`)] : [];
    const proc = await startNodeProcess(["--network", path.join(tmp, "genesis.json"), "--data", path.join(tmp, `data-${name}`), ...key, ...peers.flatMap((p) => ["--peer", procs.get(p)!.url])]);
    procs.set(name, proc);
    clients.set(name, await ApiClient.connect(proc.url, { reconnect: false }));
  };
  await start("m1", []);
  await start("m2", ["m1"]);
  await start("m3", ["m2"]);
  await start("m4", ["m3", "m1"]);
  await start("f", ["m1"]);
});

afterAll(async () => {
  for (const c of clients.values()) c.close();
  if (process.env.COMMITTEE_LOGS) for (const [n, p] of procs) fs.writeFileSync(path.join(process.env.COMMITTEE_LOGS, `${n}.log`), p.logs.join("\n"));
  await Promise.all([...procs.values()].map((p) => p.stop("SIGKILL")));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("a burst of 520 on the same two parents, sent to the follower, is all confirmed within a few milestones", async () => {
  const f = clients.get("f")!;
  for (let t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
    const i = await f.getNodeInfo();
    if (i.synced && i.confirmedMilestoneIndex >= 2) break;
    if (Date.now() - t0 > 60_000) throw new Error(`the committee issued no milestones: ${JSON.stringify(i)}`);
  }
  const parents = await f.selectParents(2);
  const keys = Array.from({ length: 13 }, () => keyPairFromSeed(randomBytes(32)));
  const txs = Array.from({ length: 520 }, (_, i) => {
    const k = keys[i % keys.length];
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: k.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: randomBytes(32) } }, k.secretKey);
    const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
    return stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty));
  });
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 48 }, async () => {
      while (next < txs.length) ids.push((await f.submitTransaction(txs[next++])).id);
    }),
  );
  const end = (await f.getNodeInfo()).confirmedMilestoneIndex;
  for (let t0 = Date.now(); (await f.getNodeInfo()).confirmedMilestoneIndex < end + WITHIN_MILESTONES; await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - t0 > 60_000) throw new Error("the committee stopped issuing milestones");
  }
  const late: (number | null)[] = [];
  for (const id of ids) {
    const by = (await f.getTransactionMetadata(id)).confirmedBy;
    if (by === null || by > end + WITHIN_MILESTONES) late.push(by);
  }
  expect({ late: late.length, of: ids.length }).toEqual({ late: 0, of: 520 });
});
