/**
 * One connection of the fairness suite's flooder, on its own thread: before the timed part it signs,
 * attaches (to parents asked of the node once) and stamps `count` data records spread over
 * `identities` sensor keys; then it pipelines them, `maxInFlight` at a time, as fast as the node
 * answers (or paced at `perSecond`), for `durationMs`, starting over at the first when it reaches the last (a record refused
 * before is new to the node; one stored before is answered as a duplicate and counted as one).
 * Every answer is counted: accepted, duplicate, or refused by its code. A connection
 * the node closes (e.g. for a request rate over its limit) ends the run for this thread with what
 * it counted, the close code among the refusals.
 */
import { parentPort, workerData } from "node:worker_threads";
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex } from "../../client/protocol/bytes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { openRawClient } from "../lib/raw-client";

interface Job {
  url: string;
  networkId: number;
  baseDifficulty: number;
  count: number;
  identities: number;
  /** Seeds (hex) of the keys to use, when they are shared with other threads; else random keys. */
  keySeeds?: string[];
  maxInFlight: number;
  durationMs: number;
  /** Records sent per second on this connection (paced); absent: as fast as the node answers. */
  perSecond?: number;
}

const job = workerData as Job;

async function main(): Promise<void> {
  const conn = await openRawClient(job.url);
  const call = conn.call;

  const keys = Array.from({ length: job.identities }, (_, k) => keyPairFromSeed(job.keySeeds ? fromHex(job.keySeeds[k]) : randomBytes(32)));
  const streams = keys.map(() => ({ id: randomBytes(32), next: 0 }));
  const parents = ((await call("selectParents", { count: 2 })).result?.parents ?? []).map((p: string) => fromHex(p));
  const prepared: Uint8Array[] = [];
  for (let i = 0; i < job.count; i++) {
    const k = i % keys.length;
    const stream = streams[k];
    const sequence = stream.next++;
    const signed = signTransaction(
      {
        version: PROTOCOL_VERSION,
        networkId: job.networkId,
        issuer: keys[k].publicKey,
        payload: { type: "data", streamId: stream.id, sequence, prevRecordId: sequence === 0 ? new Uint8Array(32) : randomBytes(32), contentType: "application/msgpack", data: randomBytes(96) },
      },
      keys[k].secretKey,
    );
    const bytes = attach(signed, parents, Date.now());
    prepared.push(stampSync(bytes, requiredDifficulty(bytes.length, job.baseDifficulty)));
  }
  parentPort!.postMessage({ type: "ready" });
  await new Promise<void>((r) => parentPort!.once("message", () => r()));

  let accepted = 0;
  let duplicates = 0;
  const refused: Record<string, number> = {};
  let inFlight = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + job.durationMs;
  // Paced: the i-th record is due at t0 + i / perSecond (a slow answer does not lower the offered
  // rate while fewer than maxInFlight are in flight); checked again every millisecond.
  const due = () => (job.perSecond === undefined ? Infinity : Math.floor(((performance.now() - t0) * job.perSecond) / 1000) + 1);
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (conn.open && performance.now() < end && inFlight < job.maxInFlight && i < due()) {
        inFlight++;
        void call("submitTransaction", { bytes: prepared[i++ % prepared.length] }).then((m) => {
          inFlight--;
          if (m.error) refused[m.error.code] = (refused[m.error.code] ?? 0) + 1;
          else if (m.result.duplicate) duplicates++;
          else accepted++;
          pump();
        });
      }
      if (job.perSecond !== undefined && !timer && conn.open && performance.now() < end) timer = setTimeout(() => ((timer = undefined), pump()), 1);
      if (inFlight === 0 && !timer) resolve();
    };
    pump();
  });
  conn.close();
  parentPort!.postMessage({ type: "done", accepted, duplicates, refused, sent: i });
}

main().catch((err) => parentPort!.postMessage({ type: "error", message: (err as Error).stack }));
