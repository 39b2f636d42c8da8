/**
 * `tangle gateway publish` (one reading, through the on-disk outbox) and `tangle gateway simulate`
 * (a fleet of city sensors for demos and load). The gateway signs with the key of wallet address
 * `--index` (default 0) of the mnemonic, so the address that receives pay-per-reading rewards is the
 * one that signs the readings.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Gateway, LmdbOutbox, MemoryOutbox, PowPool, Wallet } from "../client/node";
import type { KeyPair } from "../client/protocol/keys";
import { intOption, parse, str, UsageError } from "./args";
import { formatTable, ProgressBar } from "./progress";
import { connectNode, loadMnemonic, MNEMONIC_OPTIONS, nodeUrl, printJson, secondsOption } from "./wallet";

export const USAGE_GATEWAY = `Usage:
  tangle gateway publish --stream NAME|ID --json '{"pm25": 7.1}' [--outbox DIR] [--timeout SECONDS]
                         [--index N] [--node URL] [MNEMONIC] [--output text|json]
      Queue one reading in the outbox and wait until the node acknowledges its record. The --json
      value is the reading. A stream NAME becomes a stream id derived from the gateway key.
  tangle gateway simulate --sensors N --rate R [--duration SECONDS | --count N] [--outbox DIR]
                          [--seed N] [--index N] [--node URL] [MNEMONIC] [--json]
      A fleet of N sensors (air quality, temperature, noise, parking, traffic), each sending R
      readings per second (decimals allowed: 0.2 = one every 5 s), until the duration (default 10 s)
      or the count of readings is reached; then flushes and reports.

MNEMONIC is --dev, --mnemonic-file FILE or TANGLE_MNEMONIC (the gateway key is address --index).
The outbox defaults to ~/.tangle/outbox for publish and to a temporary directory for simulate; one
gateway process per outbox.
`;

export async function gatewayCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "publish":
      return publish(rest);
    case "simulate":
      return simulate(rest);
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(USAGE_GATEWAY);
      return 0;
    default:
      throw new UsageError(sub === undefined ? "gateway: which one? publish or simulate" : `gateway: unknown subcommand '${sub}'`);
  }
}

/** The gateway key: wallet address `index` of the mnemonic. */
export function gatewayKeyPair(values: Record<string, string | boolean | undefined>): KeyPair {
  const index = intOption("index", values.index, 0, 0x7fffffff, 0);
  return Wallet.fromMnemonic(loadMnemonic(values)).key(index).keyPair;
}

async function publish(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...MNEMONIC_OPTIONS,
    stream: { type: "string" },
    json: { type: "string" },
    outbox: { type: "string" },
    timeout: { type: "string" },
    index: { type: "string" },
    node: { type: "string" },
    output: { type: "string" },
  });
  const stream = str(values.stream);
  if (!stream) throw new UsageError("--stream NAME|ID is required");
  const text = str(values.json);
  if (text === undefined) throw new UsageError("--json VALUE is required (the reading, as JSON)");
  let reading: unknown;
  try {
    reading = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--json: not JSON: ${(err as Error).message}`);
  }
  const output = str(values.output) ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output must be text or json, got '${output}'`);
  const timeoutMs = secondsOption("timeout", values.timeout, 1, 3600, 30);
  const url = nodeUrl(values);
  const keyPair = gatewayKeyPair(values);
  const outboxDir = str(values.outbox) ?? path.join(os.homedir(), ".tangle", "outbox");
  const client = await connectNode(url);
  const pow = new PowPool();
  const gw = new Gateway({ client, keyPair, pow, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 0 });
  try {
    const acks: { sequence: number; id: string; readings: number; streamId: string; duplicate: boolean }[] = [];
    gw.on("ack", (a) => acks.push(a));
    const streamId = await gw.publish(stream, reading);
    try {
      await gw.flush(timeoutMs);
    } catch (err) {
      const failed = gw.streamError(streamId);
      if (failed) throw failed;
      process.stderr.write(`tangle: not acknowledged within ${timeoutMs / 1000} s; the reading waits in ${outboxDir} and goes out with the next publish\n`);
      return 1;
    }
    const mine = acks.filter((a) => a.streamId === streamId);
    const last = mine[mine.length - 1];
    if (output === "json") printJson({ streamId, sequence: last?.sequence ?? null, id: last?.id ?? null, records: mine.length, readings: mine.reduce((n, a) => n + a.readings, 0) });
    else {
      process.stdout.write(formatTable(["stream", "sequence", "record", "readings"], mine.map((a) => [a.streamId.slice(0, 16) + "…", String(a.sequence), a.id, String(a.readings)])) + "\n");
    }
    return 0;
  } finally {
    await gw.close();
    await pow.close();
    client.close();
  }
}

// ---- the simulated fleet ----------------------------------------------------------------------

/** mulberry32: small, seedable, good enough for plausible sensor noise. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STREETS = ["main-st", "harbour-rd", "station-sq", "market-st", "park-ave", "mill-ln", "school-rd", "bridge-st"];

interface Sensor {
  name: string;
  kind: string;
  read(now: number, rand: () => number): unknown;
}

/** Hours since midnight, for daily cycles. */
const hourOf = (ms: number) => ((ms / 3_600_000) % 24 + 24) % 24;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const rushHour = (h: number) => Math.exp(-((h - 8) ** 2) / 2) + Math.exp(-((h - 17.5) ** 2) / 3);

const KINDS: ((i: number, rand: () => number) => Sensor)[] = [
  (i, rand) => {
    const base = 6 + rand() * 6;
    return { kind: "air", name: `air-${STREETS[i % STREETS.length]}-${i}`, read: (now, r) => ({ pm25: round(base + 14 * rushHour(hourOf(now)) + r() * 3), no2: round(12 + 30 * rushHour(hourOf(now)) + r() * 5) }) };
  },
  (i, rand) => {
    const offset = rand() * 2 - 1;
    return {
      kind: "climate",
      name: `climate-${STREETS[i % STREETS.length]}-${i}`,
      read: (now, r) => {
        const temp = 14 + offset + 6 * Math.sin(((hourOf(now) - 9) / 24) * 2 * Math.PI) + (r() - 0.5) * 0.4;
        return { temp: round(temp), humidity: round(Math.min(100, 60 - (temp - 14) * 2.5 + (r() - 0.5) * 3)) };
      },
    };
  },
  (i) => ({ kind: "noise", name: `noise-${STREETS[i % STREETS.length]}-${i}`, read: (now, r) => ({ dba: round(42 + 25 * rushHour(hourOf(now)) + r() * 8) }) }),
  (i, rand) => {
    let occupied = rand() < 0.6;
    return {
      kind: "parking",
      name: `parking-${STREETS[i % STREETS.length]}-bay-${i}`,
      read: (_now, r) => {
        if (r() < 0.05) occupied = !occupied;
        return { occupied };
      },
    };
  },
  (i) => ({
    kind: "traffic",
    name: `traffic-${STREETS[i % STREETS.length]}-${i}`,
    read: (now, r) => {
      // Poisson by inversion: vehicles since the last reading.
      const mean = 2 + 18 * rushHour(hourOf(now));
      let k = 0;
      for (let p = Math.exp(-mean), s = p, u = r(); u > s; k++) s += p *= mean / (k + 1);
      return { vehicles: k };
    },
  }),
];

async function simulate(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...MNEMONIC_OPTIONS,
    sensors: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    count: { type: "string" },
    outbox: { type: "string" },
    seed: { type: "string" },
    index: { type: "string" },
    node: { type: "string" },
    json: { type: "boolean", default: false },
  });
  const sensorCount = intOption("sensors", values.sensors, 1, 10_000);
  const rateText = str(values.rate);
  const rate = Number(rateText);
  if (!rateText || !/^\d+(\.\d+)?$/.test(rateText) || rate <= 0 || rate > 1000) throw new UsageError(`--rate must be readings per second per sensor, above 0 and at most 1000, got '${rateText ?? ""}'`);
  if (values.duration !== undefined && values.count !== undefined) throw new UsageError("give --duration or --count, not both");
  const count = values.count === undefined ? Infinity : intOption("count", values.count, 1, 100_000_000);
  const durationMs = values.count === undefined ? secondsOption("duration", values.duration, 0.1, 86_400, 10) : Infinity;
  const seed = intOption("seed", values.seed, 0, 0xffffffff, 1);
  const url = nodeUrl(values);
  const keyPair = gatewayKeyPair(values);
  const rand = rng(seed);
  const sensors = Array.from({ length: sensorCount }, (_, i) => KINDS[i % KINDS.length](i, rand));
  const tmpOutbox = values.outbox === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-simulate-")) : undefined;
  const client = await connectNode(url);
  const pow = new PowPool();
  const gw = new Gateway({ client, keyPair, pow, outbox: str(values.outbox) ? LmdbOutbox.open(str(values.outbox)!) : tmpOutbox ? LmdbOutbox.open(tmpOutbox) : new MemoryOutbox(), maxDelayMs: 1000, maxConcurrentStreams: 8 });
  const bar = values.json ? undefined : new ProgressBar("simulating");
  const perSensor = new Map<string, { kind: string; readings: number; records: number; acked: number }>(sensors.map((s) => [gw.streamId(s.name), { kind: s.kind, readings: 0, records: 0, acked: 0 }]));
  const errors: string[] = [];
  gw.on("ack", (a) => {
    const s = perSensor.get(a.streamId);
    if (s) {
      s.records++;
      s.acked += a.readings;
    }
  });
  gw.on("error", (e) => errors.push(e.message));
  const stopSignal = new AbortController();
  const onSigint = () => stopSignal.abort();
  process.once("SIGINT", onSigint);
  const t0 = Date.now();
  let published = 0;
  try {
    // Each sensor reads at its own phase so the fleet does not pulse.
    const due = sensors.map(() => rand() / rate);
    while (!stopSignal.signal.aborted && published < count && Date.now() - t0 < durationMs) {
      const elapsed = (Date.now() - t0) / 1000;
      for (let i = 0; i < sensors.length && published < count; i++) {
        while (due[i] <= elapsed && published < count) {
          const s = sensors[i];
          const at = t0 + due[i] * 1000;
          await gw.publish(s.name, s.read(at, rand), { timestamp: Math.round(at) });
          perSensor.get(gw.streamId(s.name))!.readings++;
          published++;
          due[i] += 1 / rate;
        }
      }
      const acked = gw.stats().ackedReadings;
      bar?.update(count !== Infinity ? published / count : (Date.now() - t0) / durationMs, `${published} readings, ${acked} acknowledged`);
      await new Promise((r) => setTimeout(r, 20));
    }
    bar?.done(`${published} readings`);
    const flushBar = values.json ? undefined : new ProgressBar("flushing  ");
    const flushing = gw.flush(60_000);
    const timer = setInterval(() => flushBar?.update(published ? gw.stats().ackedReadings / published : 1, `${gw.stats().ackedReadings} acknowledged`), 200);
    try {
      await flushing;
    } finally {
      clearInterval(timer);
    }
    flushBar?.done(`${gw.stats().ackedReadings} acknowledged`);
    const ms = Date.now() - t0;
    const st = gw.stats();
    const byKind = new Map<string, { sensors: number; readings: number; records: number; acked: number }>();
    for (const s of perSensor.values()) {
      const k = byKind.get(s.kind) ?? { sensors: 0, readings: 0, records: 0, acked: 0 };
      k.sensors++;
      k.readings += s.readings;
      k.records += s.records;
      k.acked += s.acked;
      byKind.set(s.kind, k);
    }
    if (values.json) {
      printJson({
        sensors: sensorCount,
        readings: published,
        acknowledged: st.ackedReadings,
        records: st.ackedRecords,
        ms,
        errors,
        streams: sensors.map((s) => ({ name: s.name, kind: s.kind, streamId: gw.streamId(s.name), ...perSensor.get(gw.streamId(s.name)) })),
      });
    } else {
      const rows = [...byKind.entries()].map(([kind, k]) => [kind, String(k.sensors), String(k.records), String(k.acked), String(k.readings)]);
      process.stdout.write(formatTable(["kind", "sensors", "records", "acknowledged", "readings"], rows) + "\n");
      process.stdout.write(`${published} readings in ${st.ackedRecords} records in ${(ms / 1000).toFixed(1)} s (${((published * 1000) / ms).toFixed(0)} readings/s)\n`);
      process.stdout.write(`verify one: tangle stream verify ${gw.streamId(sensors[0].name)}\n`);
      for (const e of errors) process.stderr.write(`error: ${e}\n`);
    }
    return errors.length === 0 && st.ackedReadings === published ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    await gw.close();
    await pow.close();
    client.close();
    if (tmpOutbox) fs.rmSync(tmpOutbox, { recursive: true, force: true });
  }
}
