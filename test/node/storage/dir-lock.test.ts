/**
 * One process per data directory (node/storage/dir-lock.ts): a second store on an open
 * directory is refused and allowed after close; a lock left by a dead process, or by a pid now
 * running another program, is taken over; a holderless lock file is refused while fresh and taken
 * over once old; a second real node process exits with ERR_DATA_DIR_IN_USE, and after a kill -9
 * the next one starts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import { DirLockedError, LOCK_FILE, lockDataDir, processStart } from "../../../node/storage/dir-lock";
import { Store } from "../../../node/storage/store";
import { tmpDir } from "../_helpers";
import { spawnNode } from "../../../bench/lib/processes";

/** A real `tangle node` on `dir`, through the shared launcher (bench/lib/processes.ts). */
function startNode(dir: string): { child: ChildProcess; out: () => string; listening: Promise<void>; exited: Promise<number | null> } {
  const n = spawnNode(["--network", "dev", "--data", dir, "--log-level", "info"]);
  const listening = n.listening.then(() => undefined);
  listening.catch(() => undefined);
  return { child: n.child, out: () => n.logs.join("\n"), listening, exited: n.exited };
}

test("a second store on the same directory is refused while the first is open, and allowed after it closed", async () => {
  const dir = tmpDir();
  const a = await Store.open(dir);
  await expect(Store.open(dir)).rejects.toMatchObject({ code: "ERR_DATA_DIR_IN_USE", message: expect.stringContaining(`process ${process.pid} (this one)`) });
  expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
  await a.close();
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  const b = await Store.open(dir);
  await b.close();
});

test("a lock left by a process that is gone, or by a pid now running another program, is taken over", async () => {
  const dir = tmpDir();
  const gone = spawn(process.execPath, ["-e", ""]);
  const gonePid = gone.pid!;
  await new Promise((r) => gone.on("exit", r));
  expect(processStart(gonePid)).toBeUndefined();
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: gonePid, started: 1 }));
  lockDataDir(dir)(); // taken over, then released

  // A live process, but started at another time than the lock says: the pid was reused.
  const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
  try {
    const started = processStart(sleeper.pid!)!;
    expect(started).toBeGreaterThan(0);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, started: started + 1 }));
    lockDataDir(dir)();
    // The same process with its own start time holds the lock.
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, started }));
    let err: unknown;
    try {
      lockDataDir(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DirLockedError);
    expect(err).toMatchObject({ code: "ERR_DATA_DIR_IN_USE", holder: { pid: sleeper.pid, started } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8"))).toEqual({ pid: sleeper.pid, started }); // untouched
  } finally {
    sleeper.kill("SIGKILL");
  }
});

test("a lock file without a holder is refused while fresh (a node writing it now) and taken over once old", () => {
  const dir = tmpDir();
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, "");
  expect(() => lockDataDir(dir)).toThrow(/a node starting now/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  lockDataDir(dir)();
});

test("a second node process on a running node's data directory exits with ERR_DATA_DIR_IN_USE; after a kill -9 the next one starts", async () => {
  const dir = tmpDir();
  const first = startNode(dir);
  try {
    await first.listening;
    const second = startNode(dir);
    expect(await second.exited).toBe(1);
    expect(second.out()).toContain(`ERR_DATA_DIR_IN_USE: data directory ${dir} is in use by process ${first.child.pid}`);
    expect(first.child.exitCode).toBeNull(); // the first one is untouched and still running
  } finally {
    first.child.kill("SIGKILL");
    await first.exited;
  }
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true); // left behind by the kill
  const third = startNode(dir);
  try {
    await third.listening;
  } finally {
    third.child.kill("SIGTERM");
    expect(await third.exited).toBe(0);
  }
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false); // a clean stop removes it
}, 60_000);
