/**
 * The node's Prometheus metrics, all declared here on prom-client: what each one measures, read
 * from the part of the node that owns the figure: the node's events and ledger, the window (tips,
 * WASM memory), the store (database size, mapped-page releases), peering, the API server's
 * connections. The composition root (main.ts) hands those parts over; the node keeps no getter
 * only for metrics. The library adds its default process metrics (CPU, resident memory, event-loop
 * lag, garbage collection, handles). The API server counts requests and only renders the registry
 * at `GET /metrics`.
 *
 * Names are a contract (docs/operations.md, bench/ and the tests read them): add, never rename.
 */
import * as fs from "node:fs";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { TangleNode } from "./tangle-node";
import type { TangleWindow } from "./window";
import type { Store } from "./storage/store";
import { databasePages } from "./pruning/pages";
import type { MilestoneEvent } from "./events";
import type { PeerManager } from "./peering/peers";

/** Confirmation latency buckets in seconds (a milestone interval is 0.25 s on the dev network). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** The parts whose figures the metrics read: each figure from the part that owns it. */
export interface MetricSources {
  /** Events (received, accepted, rejected, milestones), the ledger index, divergence, stored count. */
  node: TangleNode;
  /** The recent window: tips and the WASM graph's memory. */
  window: TangleWindow;
  /** The database: its size and the mapped-page watcher's releases (storage/mapped-pages.ts). */
  store: Store;
  peering?: PeerManager;
  /** Open API connections (the API server's count; read at scrape time). */
  connections: () => number;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** API requests by method (the API server counts them). */
  readonly apiRequests: Counter<"method">;
  /** API backpressure by event: a connection paused, a push dropped, a connection closed (the API server counts them). */
  readonly apiBackpressure: Counter<"event">;
  /** The text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the node's events. */
  close(): void;
}

/** A field of /proc/self/status in bytes (Linux), or 0 elsewhere. */
function procStatusBytes(field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A gauge whose value is read when scraped. */
function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function createNodeMetrics(sources: MetricSources): NodeMetrics {
  const { node, window, store, peering } = sources;
  const registry = new Registry();
  // CPU, process_resident_memory_bytes, heap spaces, event-loop lag, GC, handles, file descriptors.
  collectDefaultMetrics({ register: registry });

  const apiRequests = new Counter({ name: "tangle_api_requests_total", help: "API requests by method", labelNames: ["method"] as const, registers: [registry] });
  const apiBackpressure = new Counter({
    name: "tangle_api_backpressure_total",
    help: "API connections not reading their answers: paused (not read until drained), push_dropped, closed (over the bound too long)",
    labelNames: ["event"] as const,
    registers: [registry],
  });
  const received = new Counter({ name: "tangle_transactions_received_total", help: "transactions submitted to this node", registers: [registry] });
  const accepted = new Counter({ name: "tangle_transactions_accepted_total", help: "transactions validated and durably stored", registers: [registry] });
  const rejected = new Counter({ name: "tangle_transactions_rejected_total", help: "transactions refused, by error code", labelNames: ["code"] as const, registers: [registry] });
  const latency = new Histogram({ name: "tangle_confirmation_latency_seconds", help: "from arrival to confirmation by a milestone", buckets: LATENCY_BUCKETS, registers: [registry] });

  readGauge(registry, "tangle_tips", "non-lazy tips in the URTS pool", () => window.graph.nonLazyTipCount);
  readGauge(registry, "tangle_milestone_index", "index of the last applied milestone", () => node.ledgerIndex);
  readGauge(registry, "tangle_stored_transactions", "transactions stored", () => node.storedTransactions);
  readGauge(registry, "tangle_database_bytes", "size of the database file", () => store.sizeBytes());
  new Gauge({
    name: "tangle_database_pages",
    help: "LMDB pages in use by table (sub-database); table=\"lmdb\" is LMDB's own (meta pages, main database, free list)",
    labelNames: ["table"] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (store.closed) return; // the environment is gone (the node is closing)
      const p = databasePages(store);
      for (const [table, n] of Object.entries(p.tables)) this.set({ table }, n);
      this.set({ table: "lmdb" }, p.overheadPages);
    },
  });
  readGauge(registry, "tangle_connections", "open API connections", sources.connections);
  // Memory beyond the library's defaults: the peak, the split of the resident set (mapped database
  // pages are file-backed), the V8 heap as the benchmarks have always read it, and the WASM window.
  readGauge(registry, "process_resident_memory_peak_bytes", "highest resident set size of this process so far (Linux)", () => procStatusBytes("VmHWM"));
  readGauge(registry, "tangle_resident_anonymous_bytes", "resident anonymous memory (heap, WASM, buffers; Linux)", () => procStatusBytes("RssAnon"));
  readGauge(registry, "tangle_resident_file_bytes", "resident file-backed memory (mapped database pages, code; Linux)", () => procStatusBytes("RssFile"));
  readGauge(registry, "nodejs_heap_used_bytes", "V8 heap in use", () => process.memoryUsage().heapUsed);
  readGauge(registry, "nodejs_heap_total_bytes", "V8 heap committed", () => process.memoryUsage().heapTotal);
  readGauge(registry, "nodejs_external_bytes", "memory outside the V8 heap held by JS objects (buffers, WASM)", () => process.memoryUsage().external);
  readGauge(registry, "tangle_wasm_memory_bytes", "WASM linear memory of the tip-selection window", () => window.graph.memoryBytes);
  readGauge(registry, "tangle_mapped_releases_total", "times the mapped database pages were released from the resident set", () => store.mappedReleases);
  new Counter({
    name: "tangle_storage_corrupt_total",
    help: "stored transactions found failing their id check (damaged bytes), repaired ones included",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(store.damagedFoundCount);
    },
  });
  readGauge(registry, "tangle_ledger_diverged", "1 when this node refused a milestone", () => (node.diverged ? 1 : 0));
  // The free-space reserve (storage/space.ts): the state, and the figures it is decided on.
  readGauge(registry, "tangle_storage_full", "1 while writes are refused: free space below the reserve, or a write failed for want of space", () => (node.space.full ? 1 : 0));
  readGauge(registry, "tangle_storage_free_bytes", "free space on the data directory's filesystem (statfs, available to the node)", () => (Number.isFinite(node.space.freeBytes) ? node.space.freeBytes : -1));
  readGauge(registry, "tangle_storage_reserve_bytes", "free space the node keeps: below it no writes are taken", () => node.space.reserveBytes);
  readGauge(registry, "tangle_storage_full_refusals_total", "writes refused with ERR_STORAGE_FULL", () => node.space.refused);

  if (peering) {
    readGauge(registry, "tangle_peers", "connected peers", () => peering.count);
    // Per peer, read from peering's own counts at scrape time (a peer that left drops its series).
    type PeerStat = ReturnType<PeerManager["stats"]>[number];
    const counter = (name: string, help: string, pick: (s: PeerStat) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["peer"] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of peering.stats()) this.inc({ peer: s.url }, pick(s));
        },
      });
    counter("tangle_peer_sent_total", "transactions sent to a peer", (s) => s.sent);
    counter("tangle_peer_received_total", "transactions received from a peer", (s) => s.received);
    counter("tangle_peer_invalid_total", "invalid messages from a peer", (s) => s.invalid);
    new Gauge({
      name: "tangle_peer_latency_ms",
      help: "round trip of the last heartbeat (-1: none yet)",
      labelNames: ["peer"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of peering.stats()) this.set({ peer: s.url }, s.latencyMs ?? -1);
      },
    });
  }

  const onReceived = () => received.inc();
  const onAccepted = () => accepted.inc();
  const onRejected = (e: { code: string }) => rejected.inc({ code: e.code });
  const onMilestone = (ms: MilestoneEvent) => {
    const now = node.now();
    ms.includedIds.forEach((id, i) => {
      const receivedMs = Number.isNaN(ms.receivedMs[i]) ? node.getMetadata(id)?.receivedMs : ms.receivedMs[i];
      if (receivedMs !== undefined) latency.observe(Math.max(0, now - receivedMs) / 1000);
    });
  };
  node.on("received", onReceived);
  node.on("accepted", onAccepted);
  node.on("rejected", onRejected);
  node.on("milestone", onMilestone);

  return {
    registry,
    apiRequests,
    apiBackpressure,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      node.off("received", onReceived);
      node.off("accepted", onAccepted);
      node.off("rejected", onRejected);
      node.off("milestone", onMilestone);
    },
  };
}
