/**
 * Chromium for the browser tests, provisioned the way Playwright's `install-deps` does it: from the
 * operating system's packages (Debian's `chromium`), installed by the test itself when missing, as
 * root or through passwordless sudo. Never a skip: when it cannot be had, the error says the one
 * command that fixes it.
 *
 * TANGLE_CHROMIUM names another executable (then nothing is installed).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

const DEBIAN_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const FIX = "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium";

function found(): string | undefined {
  const named = process.env.TANGLE_CHROMIUM;
  if (named) {
    if (!fs.existsSync(named)) throw new Error(`TANGLE_CHROMIUM=${named} does not exist`);
    return named;
  }
  return DEBIAN_PATHS.find((p) => fs.existsSync(p));
}

function run(argv: string[]): { ok: boolean; output: string } {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 15 * 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return { ok: r.status === 0, output: `${r.error?.message ?? ""}${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** How to run a root command here: directly as root, through `sudo -n`, or not at all. */
function asRoot(): string[] | undefined {
  if (process.getuid?.() === 0) return [];
  if (run(["sudo", "-n", "true"]).ok) return ["sudo", "-n"];
  return undefined;
}

/**
 * The path of a Chromium executable, installing Debian's package first when none is present.
 * Throws with the fixing command when that is impossible (not Debian, no root, no package).
 */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const present = found();
  if (present) return present;
  const hasApt = fs.existsSync("/usr/bin/apt-get");
  const prefix = hasApt ? asRoot() : undefined;
  if (!hasApt || !prefix) {
    const why = !hasApt ? "this machine has no apt-get" : "installing needs root (or passwordless sudo)";
    throw new Error(`Chromium is needed for the browser tests and is not installed; ${why}. Install it with:\n  ${FIX}\n(or point TANGLE_CHROMIUM at a Chromium executable)`);
  }
  log("browser tests: installing Debian's chromium package (once)…");
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  const update = run([...prefix, "apt-get", ...lock, "update", "-qq"]);
  const install = update.ok ? run([...prefix, "apt-get", ...lock, "install", "-y", "-qq", "--no-install-recommends", "chromium"]) : update;
  const path = found();
  if (!install.ok || !path) {
    const tail = install.output.trim().split("\n").slice(-5).join("\n");
    throw new Error(`Chromium could not be installed (apt-get ${update.ok ? "install" : "update"} failed):\n${tail}\nInstall it with:\n  ${FIX}`);
  }
  log(`browser tests: ${path} installed`);
  return path;
}
