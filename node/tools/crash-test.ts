/**
 * Crash test: a child node ingesting at load is killed with SIGKILL at random moments and
 * restarted, again and again; then the database is checked: every acknowledged id is stored, and
 * a from-scratch replay of the stored milestones reproduces the stored ledger state hash.
 *
 *   node dist/node/tools/crash-test.js [--cycles 20] [--json]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { fromHex } from "../../client/protocol/bytes";
import { Store } from "../storage/store";
import { replayLedger } from "./replay";
import { crashGenesis } from "./crash-genesis";

export interface CrashReport {
  cycles: number;
  acknowledged: number;
  missing: number;
  milestones: number;
  storedTransactions: number;
  restartMs: number[];
  problems: string[];
}

interface CycleResult {
  acked: string[];
  restartMs: number;
  fatal?: string;
}

/** Runs the child until it has acknowledged something, then kills it after a random delay. */
function cycle(childScript: string, dir: string, minMs: number, maxMs: number): Promise<CycleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, "--data", dir], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: string[] = [];
    let restartMs = 0;
    let buf = "";
    let fatal: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let stderr = "";
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      fatal = fatal ?? "child made no progress within 60 s";
    }, 60_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("ACK ")) {
          acked.push(line.slice(4));
          if (!killTimer) killTimer = setTimeout(() => child.kill("SIGKILL"), minMs + Math.random() * (maxMs - minMs));
        } else if (line.startsWith("READY ")) restartMs = Number(line.split(" ")[3]);
        else if (line.startsWith("FATAL") || line.startsWith("COORD-ERROR")) fatal = fatal ?? line;
      }
    });
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      if (stderr.trim() && !fatal) fatal = `stderr: ${stderr.trim().slice(0, 500)}`;
      resolve({ acked, restartMs, fatal });
    });
  });
}

export async function runCrashTest(opts: { cycles: number; dir?: string; minMs?: number; maxMs?: number; log?: (s: string) => void }): Promise<CrashReport> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-crash-"));
  const genesis = crashGenesis();
  fs.writeFileSync(path.join(dir, "genesis.json"), JSON.stringify(genesis));
  const childScript = path.join(__dirname, "crash-child.js");
  if (!fs.existsSync(childScript)) throw new Error(`${childScript} not found: run \`npm run build\` first`);
  const acked = new Set<string>();
  const restartMs: number[] = [];
  const problems: string[] = [];
  for (let i = 0; i < opts.cycles; i++) {
    const r = await cycle(childScript, dir, opts.minMs ?? 150, opts.maxMs ?? 1200);
    r.acked.forEach((id) => acked.add(id));
    restartMs.push(r.restartMs);
    if (r.fatal) problems.push(`cycle ${i + 1}: ${r.fatal}`);
    opts.log?.(`cycle ${i + 1}/${opts.cycles}: ${r.acked.length} acknowledged, restart ${r.restartMs} ms`);
  }
  const store = await Store.open(path.join(dir, "db"));
  let missing = 0;
  try {
    for (const id of acked) if (!store.hasTransaction(fromHex(id))) missing++;
    if (missing) problems.push(`${missing} acknowledged transactions are missing`);
    const replay = replayLedger(store, genesis);
    problems.push(...replay.problems);
    return { cycles: opts.cycles, acknowledged: acked.size, missing, milestones: replay.milestones, storedTransactions: store.nextSeq(), restartMs, problems };
  } finally {
    await store.close();
    if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { cycles: { type: "string", default: "20" }, json: { type: "boolean", default: false } } });
  runCrashTest({ cycles: Number(values.cycles), log: values.json ? undefined : (s) => process.stderr.write(s + "\n") }).then(
    (r) => {
      if (values.json) process.stdout.write(JSON.stringify(r) + "\n");
      else {
        process.stdout.write(
          `crash test: ${r.cycles} cycles, ${r.acknowledged} acknowledged transactions checked, ${r.missing} missing, ` +
            `${r.milestones} milestones replayed, ${r.storedTransactions} stored; restart median ${[...r.restartMs].sort((a, b) => a - b)[r.restartMs.length >> 1]} ms\n`,
        );
        for (const p of r.problems) process.stdout.write(`PROBLEM ${p}\n`);
      }
      process.exit(r.problems.length === 0 ? 0 : 1);
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
