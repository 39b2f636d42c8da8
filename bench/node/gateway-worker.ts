/**
 * One gateway of the node benchmark, on its own thread with its own WebSocket connection, relaying
 * for IDENTITIES sensor keys (each an issuer, so each stays inside the adaptive-PoW allowance).
 * Before the timed part it signs all its records (the signature does not cover parents); during
 * it, it attaches each record to one tip drawn at random from eight URTS picks refreshed every
 * 25 ms and to up to two of its own acknowledged transactions that nothing has approved yet (so
 * every record gets approved, the tip set stays narrow, and nothing waits on an unstored parent),
 * stamps it (~0.1 ms at the dev difficulty), and submits at its share of the offered
 * rate (or as fast as acks allow, with a bounded number in flight). Every tenth transaction is a
 * transfer chained from the gateway's previous transfer (its change output), once that one was
 * answered.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createPrivateKey, createPublicKey, randomBytes, sign as edSign } from "node:crypto";
import { encodeAttached, encodeEssence, Essence, powRoot, setNonce, signingHash, sortParents, transactionId } from "../../client/protocol/codec";
import { fromHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import { PowSearcher, POW_BATCH_TRIALS } from "../../core-wasm/src/pow";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { openRawClient } from "../lib/raw-client";
import { IDENTITIES, newSensor, SensorState } from "./sensors";

interface Job {
  url: string;
  networkId: number;
  baseDifficulty: number;
  count: number;
  /** Transactions per second for this gateway; 0 = as fast as acknowledged. */
  rate: number;
  maxInFlight: number;
  durationMs: number;
  /** Funding output for the transfer chain (hex txId, index, amount), or null. */
  funding: { txId: string; index: number; amount: string } | null;
  /** "split": each transfer halves the chain's amount into two outputs (it ends after ~20);
   * "move": one output of the whole amount, so the chain lasts and the unspent set does not grow. */
  transfers?: "split" | "move";
  seed: string;
  /**
   * The sensors to publish as (IDENTITIES of them): each one's key seed, stream and next sequence,
   * so that a later run goes on with the same streams (the storage bench: a city's sensors publish
   * for the whole run). Absent: new random sensors, each starting its stream at sequence 0.
   */
  sensors?: SensorState[];
  /** Attach and stamp everything before the timed part (throughput runs: the generator must not be
   * the bottleneck; these records attach to tips of preparation time, so few get confirmed). */
  prestamp: boolean;
}

const job = workerData as Job;

async function main(): Promise<void> {
  // The gateway key from its 32-byte seed (PKCS#8 wrapping of an Ed25519 private key, RFC 8410).
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(job.seed, "hex")]), format: "der", type: "pkcs8" });
  const pub = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(12));
  const me = addressOf(pub);
  const searcher = new PowSearcher();
  // A raw request function, not ApiClient, on purpose: this is the load generator (../lib/raw-client.ts).
  const conn = await openRawClient(job.url);
  const call = conn.call;
  // Pre-sign the data records, spread over the sensor identities.
  const sensors = job.sensors ?? Array.from({ length: IDENTITIES }, newSensor);
  if (sensors.length !== IDENTITIES) throw new Error(`a gateway publishes for ${IDENTITIES} sensors, not ${sensors.length}`);
  const identities = sensors.map((x) => {
    const k = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(x.seed, "hex")]), format: "der", type: "pkcs8" });
    return { key: k, pub: new Uint8Array(createPublicKey(k).export({ format: "der", type: "spki" }).subarray(12)) };
  });
  const essences: Uint8Array[] = [];
  const signatures: Uint8Array[] = [];
  // Each sensor publishes one stream; its records carry increasing sequence numbers (the link to
  // the previous record is a non-zero stand-in: ids are only known once records are attached).
  const streams = sensors.map((x) => ({ id: fromHex(x.streamId), next: x.next }));
  for (let i = 0; i < job.count; i++) {
    const who = identities[i % IDENTITIES];
    const stream = streams[i % IDENTITIES];
    const sequence = stream.next++;
    const e: Essence = {
      version: PROTOCOL_VERSION,
      networkId: job.networkId,
      issuer: who.pub,
      payload: { type: "data", streamId: stream.id, sequence, prevRecordId: sequence === 0 ? new Uint8Array(32) : randomBytes(32), contentType: "application/msgpack", data: randomBytes(96) },
    };
    const bytes = encodeEssence(e);
    essences.push(bytes);
    signatures.push(new Uint8Array(edSign(null, signingHash(bytes), who.key)));
  }
  // The first parents: a node that is busy (ERR_TOO_MANY_IN_FLIGHT) or briefly behind its
  // milestones (ERR_NOT_SYNCED, e.g. right after a restart) is asked again for up to a minute; any
  // other answer without parents stops the worker naming it.
  let parents: string[] = [];
  for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
    const m = await call("selectParents", { count: 8 });
    if (m.result) {
      parents = m.result.parents;
      break;
    }
    const code = String(m.error?.code ?? "no answer");
    if (!/ERR_NOT_SYNCED|ERR_TOO_MANY_IN_FLIGHT|ERR_RATE_LIMITED/.test(code) || Date.now() - t0 > 60_000) throw new Error(`selectParents: ${code} ${m.error?.message ?? ""}`);
  }
  // One refresh at a time: on a slow node, one every 25 ms regardless piled up past the
  // connection's in-flight limit (ERR_TOO_MANY_IN_FLIGHT for the submissions beside them).
  let refreshing = false;
  const refresh = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void call("selectParents", { count: 8 }).then((m) => {
      refreshing = false;
      if (m.result) parents = m.result.parents;
    });
  }, 25);
  let change = job.funding ? { txId: fromHex(job.funding.txId), index: job.funding.index, amount: BigInt(job.funding.amount) } : null;
  let lastTransfer: Uint8Array | null = null;
  // The chain's next transfer waits for the previous one's answer: sent before it was stored, it
  // was refused as not solid (its parent and input unknown), and every later link with it.
  let transferPending: { change: typeof change; lastTransfer: Uint8Array | null } | null = null;
  // Own acknowledged transactions not yet used as a parent (oldest first).
  const ownTips: Uint8Array[] = [];
  const pick = () => fromHex(parents[Math.floor(Math.random() * parents.length)]);
  const stampAndAttach = (essence: Uint8Array, signature: Uint8Array, extraParent?: Uint8Array) => {
    const ps = [pick()];
    for (let k = 0; k < 2 && ownTips.length > 0; k++) ps.push(ownTips.shift()!);
    if (ps.length < 2) ps.push(pick());
    if (extraParent) ps.push(extraParent);
    let sorted = sortParents(ps).slice(0, 8);
    for (const p of parents) if (sorted.length < 2) sorted = sortParents([...sorted, fromHex(p)]);
    const bytes = encodeAttached(essence, signature, Date.now(), sorted, 0n);
    searcher.setRoot(powRoot(bytes));
    const difficulty = requiredDifficulty(bytes.length, job.baseDifficulty);
    for (let n = BigInt(Math.floor(Math.random() * 2 ** 40)); ; n += BigInt(POW_BATCH_TRIALS)) {
      const r = searcher.search(n, POW_BATCH_TRIALS, difficulty);
      if (r.found) return setNonce(bytes, r.nonce);
    }
  };
  const prepared: Uint8Array[] = [];
  if (job.prestamp) {
    for (let k = 0; k < job.count; k++) prepared.push(stampAndAttach(essences[k], signatures[k]));
  }
  parentPort!.postMessage({ type: "ready" });
  await new Promise<void>((r) => parentPort!.once("message", () => r()));

  const acks: { id: string; sentMs: number; ackMs: number }[] = [];
  const rejected: Record<string, number> = {};
  let inFlight = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + job.durationMs;
  await new Promise<void>((resolve) => {
    const sendOne = () => {
      let bytes: Uint8Array;
      let undo: typeof transferPending = null;
      if (job.prestamp) {
        bytes = prepared[i];
      } else if (change && i % 10 === 9 && change.amount > 1n && !transferPending) {
        const half = job.transfers === "move" ? 0n : change.amount / 2n;
        const outputs = half ? [{ address: me, amount: half }, { address: me, amount: change.amount - half }] : [{ address: me, amount: change.amount }];
        const e: Essence = {
          version: PROTOCOL_VERSION,
          networkId: job.networkId,
          issuer: pub,
          payload: { type: "transfer", inputs: [{ txId: change.txId, index: change.index }], outputs },
        };
        const eb = encodeEssence(e);
        bytes = stampAndAttach(eb, new Uint8Array(edSign(null, signingHash(eb), privateKey)), lastTransfer ?? change.txId);
        const id = transactionId(bytes);
        undo = transferPending = { change, lastTransfer };
        lastTransfer = id;
        change = { txId: id, index: outputs.length - 1, amount: change.amount - half };
      } else {
        bytes = stampAndAttach(essences[i % essences.length], signatures[i % signatures.length]);
      }
      i++;
      const sentMs = performance.timeOrigin + performance.now();
      inFlight++;
      void call("submitTransaction", { bytes }).then((m) => {
        inFlight--;
        if (undo) {
          transferPending = null;
          // Refused: nothing spent its input, so the chain goes on from where it was.
          if (m.error) ({ change, lastTransfer } = undo);
        }
        const ackMs = performance.timeOrigin + performance.now();
        if (m.error) rejected[m.error.code] = (rejected[m.error.code] ?? 0) + 1;
        else {
          acks.push({ id: m.result.id, sentMs, ackMs });
          if (ownTips.length < 1000) ownTips.push(fromHex(m.result.id));
        }
        if (job.rate === 0) pump();
        if (performance.now() >= end && inFlight === 0) resolve();
      });
    };
    const pump = () => {
      while (performance.now() < end && inFlight < job.maxInFlight && i < job.count) sendOne();
      if ((performance.now() >= end || i >= job.count) && inFlight === 0) resolve();
    };
    if (job.rate === 0) pump();
    else {
      const tick = () => {
        const now = performance.now();
        if (now >= end || i >= job.count) {
          if (inFlight === 0) resolve();
          else setTimeout(tick, 5);
          return;
        }
        const due = Math.floor(((now - t0) * job.rate) / 1000);
        while (i < due && i < job.count && inFlight < job.maxInFlight) sendOne();
        setTimeout(tick, 2);
      };
      tick();
    }
  });
  clearInterval(refresh);
  conn.close();
  // Each sensor's next sequence: past every record of its stream that was signed for a position
  // below i (record j is sensor j % IDENTITIES's; the positions a transfer took leave a gap).
  const next: SensorState[] = sensors.map((x, k) => ({ ...x, next: x.next + Math.max(0, Math.ceil((i - k) / IDENTITIES)) }));
  parentPort!.postMessage({ type: "done", acks, rejected, t0, sent: i, sensors: next });
}

main().catch((err) => parentPort!.postMessage({ type: "error", message: (err as Error).stack }));
