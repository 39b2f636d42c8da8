/**
 * Ed25519 verification on worker threads, so the node's main thread (decoding, solidification,
 * storage, the tangle window, sockets) is not spent on the most expensive check. Requests made
 * during one batch of callbacks travel together: one message per batch of up to BATCH_MAX
 * signatures, each a fixed 128-byte record (32-byte message, 64-byte signature, 32-byte key).
 * Results are exactly those of `verifyEd25519` (the same rules, built from the same source); if a
 * worker dies, its outstanding batch is verified on the main thread and the worker is replaced.
 */
import { Worker } from "node:worker_threads";
import { makeVerifier, strictRules, verifyEd25519 } from "./ed25519";

const RECORD = 128;
export const BATCH_MAX = 256;

/** sodium-native's entry file, resolved here so an eval'd worker can load it by absolute path. */
function sodiumPath(): string | null {
  try {
    return require.resolve("sodium-native");
  } catch {
    return null;
  }
}

// The worker builds its verifier from the sources of makeVerifier and strictRules: one definition.
const workerSource = () => {
  const sodium = sodiumPath();
  return `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
let sodium = null;
try {
  sodium = ${sodium ? `require(${JSON.stringify(sodium)})` : "null"};
} catch {}
const strictRules = ${strictRules.toString()};
const makeVerifier = ${makeVerifier.toString()};
const verify = makeVerifier(sodium, crypto, strictRules());
parentPort.on("message", ({ id, buf, n }) => {
  const b = new Uint8Array(buf);
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * ${RECORD};
    ok[i] = verify(b.subarray(off, off + 32), b.subarray(off + 32, off + 96), b.subarray(off + 96, off + 128)) ? 1 : 0;
  }
  parentPort.postMessage({ id, ok }, [ok.buffer]);
});
`;
};

interface Item {
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
  resolve: (ok: boolean) => void;
}

interface Slot {
  worker: Worker;
  outstanding: Map<number, Item[]>;
  load: number;
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private batch: Item[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError("a verify pool needs at least one thread");
    for (let i = 0; i < threads; i++) this.slots.push(this.start());
  }

  private start(): Slot {
    // A verifier keeps almost nothing alive: a small heap keeps each thread's memory small.
    const worker = new Worker(workerSource(), { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
    const slot: Slot = { worker, outstanding: new Map(), load: 0 };
    worker.on("message", ({ id, ok }: { id: number; ok: Uint8Array }) => {
      const items = slot.outstanding.get(id);
      if (!items) return;
      slot.outstanding.delete(id);
      slot.load -= items.length;
      for (let i = 0; i < items.length; i++) items[i].resolve(ok[i] === 1);
    });
    const fail = () => {
      if (this.slots.includes(slot)) {
        // Whatever it held is verified here; a fresh worker takes its place.
        for (const items of slot.outstanding.values()) for (const it of items) it.resolve(verifyEd25519(it.message, it.signature, it.publicKey));
        slot.outstanding.clear();
        slot.load = 0;
        this.slots.splice(this.slots.indexOf(slot), 1);
        if (!this.closed) this.slots.push(this.start());
      }
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return slot;
  }

  /** Whether the signature verifies; the same answer as `verifyEd25519`. Never rejects. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    if (this.closed || message.length !== 32 || signature.length !== 64 || publicKey.length !== 32 || this.slots.length === 0) {
      return Promise.resolve(verifyEd25519(message, signature, publicKey));
    }
    return new Promise<boolean>((resolve) => {
      this.batch.push({ message, signature, publicKey, resolve });
      if (this.batch.length === 1) process.nextTick(() => this.flush());
      else if (this.batch.length >= BATCH_MAX) this.flush();
    });
  }

  private flush(): void {
    const items = this.batch;
    if (items.length === 0 || this.closed) return;
    this.batch = [];
    let slot = this.slots[0];
    for (const s of this.slots) if (s.load < slot.load) slot = s;
    const buf = new Uint8Array(items.length * RECORD);
    items.forEach((it, i) => {
      buf.set(it.message, i * RECORD);
      buf.set(it.signature, i * RECORD + 32);
      buf.set(it.publicKey, i * RECORD + 96);
    });
    const id = this.nextId++;
    slot.outstanding.set(id, items);
    slot.load += items.length;
    slot.worker.postMessage({ id, buf: buf.buffer, n: items.length }, [buf.buffer]);
  }

  /** Stops the workers; what they still held is verified here first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const it of this.batch.splice(0)) it.resolve(verifyEd25519(it.message, it.signature, it.publicKey));
    const slots = this.slots.splice(0);
    for (const s of slots) {
      for (const items of s.outstanding.values()) for (const it of items) it.resolve(verifyEd25519(it.message, it.signature, it.publicKey));
      s.outstanding.clear();
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
