/**
 * `tangle_transactions_rejected_total{code}` counts every refusal of a submitted transaction, by
 * its code, whatever the stage that refused it: decoding and validation, remote proof of work,
 * solidification (timeout, solidifier full), storage and shutdown. A real node (LMDB in a temp
 * folder) started in this process by the composition root (test/support/node.ts), so the
 * solidification timeout can be short; requests over a real WebSocket, counts read from GET
 * /metrics. Also: /metrics carries the node's series (node/node-metrics.ts) and prom-client's
 * default process metrics, each declared once; the composition root makes the metrics and the API
 * server renders those; each figure is read from the part that owns it (the window, the store, the
 * API server's connections), and TangleNode has no getters that exist only for metrics.
 */
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../../client/protocol/build";
import { powRoot, setNonce, Payload } from "../../../client/protocol/codec";
import { keyPairFromSeed, KeyPair } from "../../../client/protocol/keys";
import { ProtocolErrorCode as P } from "../../../client/protocol/errors";
import { validatePow } from "../../../core-wasm/src/pow";
import { NodeErrorCode as N } from "../../../node/errors";
import type { TangleNode } from "../../../node/tangle-node";
import { devGenesis } from "../../../node/networks/dev";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { startTestNode, TestNode } from "../../support/node";
import { RawClient } from "./_process";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

const genesis = devGenesis();
const key = keyPairFromSeed(randomBytes(32));
let started: TestNode;
let node: TangleNode;
let c: RawClient;
let port: number;

beforeAll(async () => {
  // No coordinator (nothing else changes state), signatures on the main thread, remote PoW on.
  started = await startTestNode({ coordinator: false, verifyThreads: 0, remotePow: true, node: { solidifyTimeoutMs: 300, maxWaiting: 1 } });
  node = started.node;
  port = started.port;
  c = await RawClient.connect(started.url);
});

afterAll(async () => {
  c?.close();
  await started?.close();
});

function record(): Payload {
  return { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: new TextEncoder().encode("x") };
}

interface Build {
  signer?: KeyPair;
  networkId?: number;
  parents?: Uint8Array[];
  timestampMs?: number;
  stamp?: "ok" | "short" | "none";
}

/** A data record of `key`, attached to the entry points unless told otherwise. */
async function build(o: Build = {}): Promise<Uint8Array> {
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: o.networkId ?? genesis.networkId, issuer: key.publicKey, payload: record() }, (o.signer ?? key).secretKey);
  const { parents } = o.parents ? { parents: o.parents } : await c.call("selectParents", { count: 2 });
  const bytes = attach(signed, parents.map((p: string | Uint8Array) => (typeof p === "string" ? Buffer.from(p, "hex") : p)), o.timestampMs ?? Date.now());
  const difficulty = requiredDifficulty(bytes.length, genesis.baseDifficulty);
  if (o.stamp === "none") return bytes;
  if (o.stamp === "short") {
    // A nonce that certainly misses the difficulty.
    let n = 0n;
    while (validatePow(powRoot(bytes), n, difficulty)) n++;
    return setNonce(bytes, n);
  }
  return stampSync(bytes, difficulty);
}

async function rejected(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^tangle_transactions_rejected_total\{code="([^"]+)"\} (\d+)$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

async function refusedWith(code: string, bytes: Uint8Array, params: Record<string, unknown> = {}): Promise<void> {
  const r = await c.raw("submitTransaction", { bytes, ...params });
  expect([code, r.error?.code]).toEqual([code, code]);
}

test("GET /metrics: the node's series and the library's process metrics, each declared once", async () => {
  for (let i = 0; i < 3; i++) await c.call("getNodeInfo", {});
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  expect(text).toMatch(/^tangle_api_requests_total\{method="getNodeInfo"\} 3$/m);
  expect(text).toMatch(new RegExp(`^tangle_stored_transactions ${node.storedTransactions}$`, "m"));
  expect(text).toMatch(new RegExp(`^tangle_milestone_index ${node.ledgerIndex}$`, "m"));
  // From prom-client's defaults: CPU, memory, event-loop lag, garbage collection, handles.
  for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_gc_duration_seconds", "nodejs_active_handles_total"]) {
    expect(text).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
  }
  const declared = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  expect(declared.filter((n, i) => declared.indexOf(n) !== i)).toEqual([]);
});

/** The value of an unlabelled series in the exposition text. */
function series(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no series ${name}`);
  return Number(m[1]);
}

test("the composition root makes the metrics; the API server renders that very registry", () => {
  expect(started.started.metrics).toBeDefined();
  expect(started.started.api.metrics).toBe(started.started.metrics);
});

test("each figure is read from the part that owns it; the node has no getters that exist only for metrics", async () => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  // Nothing changes state in this file's node (no coordinator, no submissions in between).
  expect({
    tips: series(text, "tangle_tips"),
    wasm: series(text, "tangle_wasm_memory_bytes"),
    releases: series(text, "tangle_mapped_releases_total"),
    database: series(text, "tangle_database_bytes"),
    connections: series(text, "tangle_connections"),
    diverged: series(text, "tangle_ledger_diverged"),
  }).toEqual({
    tips: node.tipCount(),
    wasm: node.window.graph.memoryBytes,
    releases: node.store.mappedReleases,
    database: node.store.sizeBytes(),
    connections: 1,
    diverged: 0,
  });
  expect(node.window.graph.memoryBytes).toBeGreaterThan(0);
  expect(node.store.sizeBytes()).toBeGreaterThan(0);
  for (const getter of ["windowMemoryBytes", "mappedReleases"]) expect({ getter, onNode: getter in node }).toEqual({ getter, onNode: false });
});

test("every refusal of a submitted transaction is counted under its code", async () => {
  const unknownParents = () => [randomBytes(32), randomBytes(32)].sort(Buffer.compare);
  const want = new Map<string, number>();
  const count = (code: string) => want.set(code, (want.get(code) ?? 0) + 1);

  // Decoding and validation.
  await refusedWith(P.TRUNCATED, new Uint8Array(5));
  count(P.TRUNCATED);
  await refusedWith(P.WRONG_NETWORK, await build({ networkId: genesis.networkId + 1 }));
  count(P.WRONG_NETWORK);
  await refusedWith(P.TIMESTAMP_TOO_OLD, await build({ timestampMs: Date.now() - 3_600_000 }));
  count(P.TIMESTAMP_TOO_OLD);
  await refusedWith(P.POW_INSUFFICIENT, await build({ stamp: "short" }));
  count(P.POW_INSUFFICIENT);
  await refusedWith(P.BAD_SIGNATURE, await build({ signer: keyPairFromSeed(randomBytes(32)) }));
  count(P.BAD_SIGNATURE);
  // Remote proof of work for a transaction of another network.
  await refusedWith(P.WRONG_NETWORK, await build({ networkId: genesis.networkId + 1, stamp: "none" }), { pow: true });
  count(P.WRONG_NETWORK);

  // Solidification: a parent nobody has; and a second waiter while the solidifier (1 here) is full.
  const waiting = c.raw("submitTransaction", { bytes: await build({ parents: unknownParents() }) });
  await refusedWith(N.SOLIDIFIER_FULL, await build({ parents: unknownParents() }));
  count(N.SOLIDIFIER_FULL);
  expect((await waiting).error?.code).toBe(N.NOT_SOLID);
  count(N.NOT_SOLID);

  // Storage: the database refuses one write (a fault injected into the real store).
  const spy = jest.spyOn(node.store, "addTransaction").mockRejectedValueOnce(new Error("injected write failure"));
  await refusedWith(N.STORAGE, await build());
  spy.mockRestore();
  count(N.STORAGE);
  // The node still takes transactions after all this.
  expect((await c.call("submitTransaction", { bytes: await build() })).duplicate).toBe(false);

  // Shutdown: the node closes while the API still answers.
  const last = await build();
  await node.close();
  await refusedWith(N.CLOSED, last);
  count(N.CLOSED);

  expect(Object.fromEntries(await rejected())).toEqual(Object.fromEntries(want));
});
