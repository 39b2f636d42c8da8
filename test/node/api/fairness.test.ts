/**
 * Fair scheduling of submissions on a real node (in this process, real sockets on 127.0.0.1, real
 * LMDB): a connection that pipelines a backlog of submissions does not make another connection's
 * single submission wait for that backlog (order of acknowledgements, not timing); one issuer
 * spread over connections is bounded (ERR_ISSUER_BUSY), and what it was refused is not stored.
 */
import WebSocket from "ws";
import { attach, signTransaction, stampSync } from "../../../client/protocol/build";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { KeyPair, randomKeyPair } from "../../../client/protocol/keys";
import { Code } from "../../../client/protocol/codes";
import { API_LIMITS } from "../../../node/api/limits";
import { devGenesis } from "../../../node/networks/dev";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { startTestNode, TestNode } from "../../support/node";
import { record } from "./_tx";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

jest.setTimeout(60_000);

interface Raw {
  ws: WebSocket;
  /** Sends a request; resolves with the whole answer. */
  call(method: string, params?: unknown): Promise<any>;
}

async function raw(url: string): Promise<Raw> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let next = 1;
  const pending = new Map<number, (m: any) => void>();
  ws.on("message", (d: Buffer) => {
    const m = unpackFrame(d) as any;
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  return {
    ws,
    call: (method, params) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws.send(packFrame({ id, method, params }));
      }),
  };
}

/** `n` data records of `key` on one stream, attached to `parents`, stamped at the base difficulty. */
function records(key: KeyPair, parents: Uint8Array[], n: number): Uint8Array[] {
  const stream = new Uint8Array(32).fill(key.publicKey[0] ^ 0x5a);
  stream.set(key.publicKey.subarray(0, 16));
  return Array.from({ length: n }, (_, i) => {
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: key.publicKey, payload: record(stream, i, i ? "11".repeat(32) : undefined) }, key.secretKey);
    const bytes = attach(signed, parents, Date.now());
    return stampSync(bytes, requiredDifficulty(bytes.length, devGenesis().baseDifficulty));
  });
}

let node: TestNode;
beforeAll(async () => {
  node = await startTestNode({ milestoneIntervalMs: 200 });
});
afterAll(async () => {
  await node.close();
});

test("a connection pipelining a backlog does not delay another connection's one submission: it is acknowledged before the backlog drains", async () => {
  const floodConnections = 8;
  const perConnection = API_LIMITS.maxInFlightPerConnection - 4;
  const honest = await raw(node.url);
  const flooders = await Promise.all(Array.from({ length: floodConnections }, () => raw(node.url)));
  const parents = (await honest.call("selectParents", { count: 2 })).result.parents.map((p: string) => fromHex(p));
  // Several issuers per flooding connection (as a gateway relaying for many sensors), prepared first.
  const backlog = flooders.map(() => Array.from({ length: 4 }, () => records(randomKeyPair(), parents, perConnection / 4)).flat());
  const mine = records(randomKeyPair(), parents, 1)[0];

  const total = floodConnections * perConnection;
  const order: string[] = [];
  // The order in which the node accepts (stores, then acknowledges) them, seen at the node: the
  // order the answers are read in here also depends on this process's reads.
  const accepted: string[] = [];
  const onAccepted = (e: { id: string }) => void accepted.push(e.id);
  node.node.on("accepted", onAccepted);
  const floods = flooders.flatMap((f, c) =>
    backlog[c].map((bytes) =>
      f.call("submitTransaction", { bytes }).then((m) => {
        expect(m.error).toBeUndefined();
        order.push("flood");
      }),
    ),
  );
  // The honest one goes right after the whole backlog was sent (and so reaches the node after it).
  const acceptedBefore = accepted.length;
  const honestAnswer = await honest.call("submitTransaction", { bytes: mine });
  order.push("honest");
  await Promise.all(floods);

  expect(honestAnswer.result).toEqual({ id: toHex(transactionId(mine)), duplicate: false });
  node.node.off("accepted", onAccepted);
  // Flood submissions the node accepted after the honest one was sent and before it.
  const before = accepted.indexOf(toHex(transactionId(mine))) - acceptedBefore;
  // FIFO accepted it after the backlog sent before it (480). In turns, the flood has at most
  // maxSubmissionsInProgress being processed at once and the honest connection, idle, is admitted
  // on arrival: it is accepted with the write batch under way or the next ones. The bound is the
  // order: before half of the backlog.
  expect(before).toBeLessThan(total / 2);
  expect((await honest.call("getTransaction", { id: toHex(transactionId(mine)) })).result.bytes).toEqual(mine);
  for (const c of [honest, ...flooders]) c.ws.close();
});

test("one issuer on several connections gets at most maxPendingSubmissionsPerIssuer submissions waiting or processed: the rest are refused with ERR_ISSUER_BUSY and not stored", async () => {
  const conns = await Promise.all(Array.from({ length: 3 }, () => raw(node.url)));
  const parents = (await conns[0].call("selectParents", { count: 2 })).result.parents.map((p: string) => fromHex(p));
  const key = randomKeyPair();
  const perConnection = API_LIMITS.maxInFlightPerConnection - 4;
  const all = records(key, parents, conns.length * perConnection);
  const answers = await Promise.all(all.map((bytes, i) => conns[i % conns.length].call("submitTransaction", { bytes })));
  const refused = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.error);
  expect(refused.length).toBeGreaterThan(0);
  for (const { a } of refused) expect(a.error.code).toBe(Code.ERR_ISSUER_BUSY);
  expect(answers.length - refused.length).toBeGreaterThanOrEqual(API_LIMITS.maxPendingSubmissionsPerIssuer);
  for (const { i } of refused.slice(0, 20)) {
    const r = await conns[0].call("getTransaction", { id: toHex(transactionId(all[i])) });
    expect(r.error?.code).toBe(Code.ERR_NOT_FOUND);
  }
  for (const c of conns) c.ws.close();
});
