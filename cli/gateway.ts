/**
 * `tangle gateway publish` (one reading, through the on-disk outbox) and `tangle gateway simulate`
 * (a fleet of city sensors for demos and load). The gateway signs with the key of wallet address
 * `--index` (default 0) of the mnemonic, so the address that receives pay-per-reading rewards is the
 * one that signs the readings.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, AckEvent, Gateway, hasCode, LmdbOutbox, MemoryOutbox, Outbox, PowPool, Wallet } from "../client/node";
import type { KeyPair } from "../client/protocol/keys";
import { seededRandom } from "../client/util/random";
import { intOption, Opts, required, str, TangleCommand, UsageError } from "./args";
import { Code } from "../client/protocol/codes";
import { formatTable, ProgressBar, shortId, terminalColumns } from "./progress";
import { checkDevNetwork, connectFor, loadMnemonic, nodeUrl, printJson, secondsOption, withMnemonic, withNode } from "./wallet";

const GATEWAY_HELP = `
The gateway key is wallet address --index of the mnemonic. The outbox defaults to ~/.tangle/outbox
for publish and flush and to a temporary directory for simulate; one gateway process per outbox
(another one exits with ERR_OUTBOX_IN_USE). With the node down, publish queues the reading and exits
0; flush (with the same mnemonic and --index) sends what is queued.`;

export function gatewayCommand(): TangleCommand {
  const gateway = new TangleCommand("gateway").description("publish sensor readings through the on-disk outbox; send what it holds; simulate a fleet of city sensors");
  withMnemonic(
    withNode(
      gateway
        .command("publish")
        .description("queue one reading in the outbox and wait until the node acknowledges its record (with the node down: queue it and exit 0); a stream NAME becomes a stream id derived from the gateway key")
        .option("--stream <NAME|ID>", "the sensor's stream (required)")
        .option("--value <JSON>", `the reading, as JSON, e.g. '{"pm25": 7.1}' (required)`)
        .option("--outbox <DIR>", "outbox directory (default ~/.tangle/outbox)")
        .option("--timeout <SECONDS>", "how long to wait for the acknowledgement (default 30)")
        .option("--index <N>", "wallet address index of the gateway key (default 0)")
        .option("--json", "print the result as JSON"),
    ),
  ).action(publish);
  withMnemonic(
    withNode(
      gateway
        .command("simulate")
        .description("a fleet of N sensors (air quality, temperature, noise, parking, traffic), each sending R readings per second, until the duration or the count is reached; then flushes and reports")
        .option("--sensors <N>", "number of sensors, 1 to 10000 (required)")
        .option("--rate <R>", "readings per second per sensor; decimals allowed: 0.2 = one every 5 s (required)")
        .option("--duration <SECONDS>", "how long to publish (default 10)")
        .option("--count <N>", "stop after N readings instead")
        .option("--outbox <DIR>", "outbox directory (default: a temporary one)")
        .option("--seed <N>", "seed of the simulated readings (default 1)")
        .option("--index <N>", "wallet address index of the gateway key (default 0)")
        .option("--json", "print the report as JSON"),
    ),
  ).action(simulate);
  withMnemonic(
    withNode(
      gateway
        .command("flush")
        .description("send what waits in the outbox (readings published while the node was down, records not yet acknowledged) and report how many readings and records went to which stream")
        .option("--outbox <DIR>", "outbox directory (default ~/.tangle/outbox)")
        .option("--timeout <SECONDS>", "how long to wait for the acknowledgements (default 60)")
        .option("--index <N>", "wallet address index of the gateway key (default 0)")
        .option("--json", "print the report as JSON"),
    ),
  ).action(flush);
  gateway.addHelpText("after", GATEWAY_HELP);
  for (const c of gateway.commands) c.addHelpText("after", GATEWAY_HELP);
  return gateway;
}

/** The gateway key: wallet address `index` of the mnemonic. */
export function gatewayKeyPair(opts: Opts): KeyPair {
  const index = intOption("index", opts.index, 0, 0x7fffffff, 0);
  return Wallet.fromMnemonic(loadMnemonic(opts)).key(index).keyPair;
}

async function publish(opts: Opts): Promise<number> {
  const stream = required(opts, "stream", "--stream", "NAME|ID");
  const text = str(opts.value);
  if (text === undefined) throw new UsageError("--value JSON is required (the reading, e.g. --value '{\"pm25\": 7.1}')");
  let reading: unknown;
  try {
    reading = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--value: not JSON: ${(err as Error).message}`);
  }
  const timeoutMs = secondsOption("timeout", opts.timeout, 1, 3600, 30);
  nodeUrl(opts);
  const keyPair = gatewayKeyPair(opts);
  const outboxDir = str(opts.outbox) ?? DEFAULT_OUTBOX;
  const outbox = LmdbOutbox.open(outboxDir);
  const client = await reachNode(opts).catch(async (err) => {
    await outbox.close();
    throw err;
  });
  if (!client) {
    // No node: the reading waits in the outbox; a record is sealed (bound to a network) only when sent.
    try {
      const streamId = await Gateway.enqueue(outbox, keyPair.publicKey, stream, [{ t: Date.now(), v: reading }]);
      const { readings } = outboxContents(outbox);
      if (opts.json) printJson({ streamId, queued: true, waiting: readings });
      else process.stdout.write(`queued, will be sent when the node is reachable (${readings} reading${readings === 1 ? "" : "s"} waiting in ${outboxDir}; \`tangle gateway flush\` sends them)\n`);
      return 0;
    } finally {
      await outbox.close();
    }
  }
  const pow = new PowPool();
  const gw = new Gateway({ client, keyPair, pow, outbox, maxDelayMs: 0 });
  try {
    const acks: { sequence: number; id: string; readings: number; streamId: string; duplicate: boolean }[] = [];
    gw.on("ack", (a) => acks.push(a));
    const streamId = await gw.publish(stream, reading);
    try {
      await gw.flush(timeoutMs);
    } catch (err) {
      const failed = gw.streamError(streamId);
      if (failed) throw failed;
      process.stderr.write(`tangle: not acknowledged within ${timeoutMs / 1000} s; the reading waits in ${outboxDir} and goes out with the next publish or \`tangle gateway flush\`\n`);
      return 1;
    }
    const mine = acks.filter((a) => a.streamId === streamId);
    const last = mine[mine.length - 1];
    if (opts.json) printJson({ streamId, sequence: last?.sequence ?? null, id: last?.id ?? null, records: mine.length, readings: mine.reduce((n, a) => n + a.readings, 0) });
    else {
      process.stdout.write(formatTable(["stream", "sequence", "record", "readings"], mine.map((a) => [shortId(a.streamId, 16), String(a.sequence), a.id, String(a.readings)]), terminalColumns()) + "\n");
    }
    return 0;
  } finally {
    await gw.close();
    await pow.close();
    client.close();
  }
}

const DEFAULT_OUTBOX = path.join(os.homedir(), ".tangle", "outbox");

/** The node, or undefined when nothing answers at --node (what is published can wait in the outbox). */
async function reachNode(opts: Opts): Promise<ApiClient | undefined> {
  const url = nodeUrl(opts);
  let client: ApiClient;
  try {
    client = await ApiClient.connect(url, { connectTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000 } });
  } catch (err) {
    if (hasCode(err, Code.ERR_CLIENT_CONNECT)) return undefined;
    throw err;
  }
  try {
    checkDevNetwork(opts, await client.getNodeInfo(), url);
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

/** Readings in the outbox, waiting or inside a sealed record, and the streams they belong to. */
function outboxContents(outbox: Outbox): { readings: number; streams: number } {
  const streams = outbox.streams();
  return { readings: streams.reduce((n, s) => n + outbox.pending(s).count + (outbox.record(s)?.readings ?? 0), 0), streams: streams.length };
}

async function flush(opts: Opts): Promise<number> {
  const timeoutMs = secondsOption("timeout", opts.timeout, 1, 3600, 60);
  const url = nodeUrl(opts);
  const keyPair = gatewayKeyPair(opts);
  const outboxDir = str(opts.outbox) ?? DEFAULT_OUTBOX;
  const outbox = LmdbOutbox.open(outboxDir);
  const before = outboxContents(outbox);
  if (before.readings === 0) {
    await outbox.close();
    if (opts.json) printJson({ records: 0, readings: 0, streams: [] });
    else process.stdout.write(`nothing waiting in ${outboxDir}\n`);
    return 0;
  }
  const client = await reachNode(opts).catch(async (err) => {
    await outbox.close();
    throw err;
  });
  if (!client) {
    await outbox.close();
    process.stderr.write(`tangle: cannot reach a node at ${url}; ${before.readings} reading${before.readings === 1 ? "" : "s"} of ${before.streams} stream${before.streams === 1 ? "" : "s"} stay in ${outboxDir}\n`);
    return 1;
  }
  const pow = new PowPool();
  const gw = new Gateway({ client, keyPair, pow, outbox, maxDelayMs: 0 });
  const acks: AckEvent[] = [];
  gw.on("ack", (a) => acks.push(a));
  try {
    let failure: string | undefined;
    try {
      await gw.flush(timeoutMs);
    } catch (err) {
      const e = err as Error & { code?: string };
      failure = e.code ? `${e.code}: ${e.message}` : e.message;
    }
    const streams = new Map<string, { streamId: string; records: number; readings: number; fromSequence: number; toSequence: number }>();
    for (const a of acks) {
      const s = streams.get(a.streamId) ?? { streamId: a.streamId, records: 0, readings: 0, fromSequence: a.sequence, toSequence: a.sequence };
      s.records++;
      s.readings += a.readings;
      s.toSequence = a.sequence;
      streams.set(a.streamId, s);
    }
    const report = { records: acks.length, readings: acks.reduce((n, a) => n + a.readings, 0), streams: [...streams.values()] };
    const left = outboxContents(outbox).readings;
    if (opts.json) printJson(failure ? { ...report, error: failure, waiting: left } : report);
    else {
      if (streams.size > 0) {
        const rows = report.streams.map((s) => [shortId(s.streamId, 16), String(s.records), String(s.readings), s.fromSequence === s.toSequence ? String(s.fromSequence) : `${s.fromSequence}–${s.toSequence}`]);
        process.stdout.write(formatTable(["stream", "records", "readings", "sequence"], rows, terminalColumns()) + "\n");
      }
      process.stdout.write(`sent ${report.readings} reading${report.readings === 1 ? "" : "s"} in ${report.records} record${report.records === 1 ? "" : "s"} to ${streams.size} stream${streams.size === 1 ? "" : "s"}\n`);
    }
    if (failure) {
      process.stderr.write(`tangle: ${failure}; ${left} reading${left === 1 ? "" : "s"} stay in ${outboxDir}\n`);
      return 1;
    }
    return 0;
  } finally {
    await gw.close();
    await pow.close();
    client.close();
  }
}

// ---- the simulated fleet ----------------------------------------------------------------------

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

async function simulate(opts: Opts): Promise<number> {
  if (opts.sensors === undefined) throw new UsageError("--sensors N is required");
  if (opts.rate === undefined) throw new UsageError("--rate R is required (readings per second per sensor)");
  const sensorCount = intOption("sensors", opts.sensors, 1, 10_000);
  const rateText = str(opts.rate);
  const rate = Number(rateText);
  if (!rateText || !/^\d+(\.\d+)?$/.test(rateText) || rate <= 0 || rate > 1000) throw new UsageError(`--rate must be readings per second per sensor, above 0 and at most 1000, got '${rateText ?? ""}'`);
  if (opts.duration !== undefined && opts.count !== undefined) throw new UsageError("give --duration or --count, not both");
  const count = opts.count === undefined ? Infinity : intOption("count", opts.count, 1, 100_000_000);
  const durationMs = opts.count === undefined ? secondsOption("duration", opts.duration, 0.1, 86_400, 10) : Infinity;
  const seed = intOption("seed", opts.seed, 0, 0xffffffff, 1);
  nodeUrl(opts);
  const keyPair = gatewayKeyPair(opts);
  const rand = seededRandom(seed).next;
  const sensors = Array.from({ length: sensorCount }, (_, i) => KINDS[i % KINDS.length](i, rand));
  const tmpOutbox = opts.outbox === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-simulate-")) : undefined;
  const { client } = await connectFor(opts);
  const pow = new PowPool();
  const gw = new Gateway({ client, keyPair, pow, outbox: str(opts.outbox) ? LmdbOutbox.open(str(opts.outbox)!) : tmpOutbox ? LmdbOutbox.open(tmpOutbox) : new MemoryOutbox(), maxDelayMs: 1000, maxConcurrentStreams: 8 });
  const bar = opts.json ? undefined : new ProgressBar("simulating");
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
    const flushBar = opts.json ? undefined : new ProgressBar("flushing  ");
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
    if (opts.json) {
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
      process.stdout.write(formatTable(["kind", "sensors", "records", "acknowledged", "readings"], rows, terminalColumns()) + "\n");
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
