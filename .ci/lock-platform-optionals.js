#!/usr/bin/env node
/**
 * Adds the lock-file entries npm leaves out for other platforms' optional packages (npm/cli#4828:
 * a lock written on Linux lacks e.g. the darwin builds of native add-ons, and `npm ci` then refuses
 * the lock as out of sync). For every optional dependency named in the lock but without its own
 * entry, it asks the registry (`npm view`) for that version's os/cpu/libc and writes the entry; when
 * the registry in use does not carry that platform's build (the reason npm left it out), the os,
 * cpu and libc are read from the package name (`…-darwin-arm64`, `…-linux-x64-musl`).
 * Run after `npm install` changed package-lock.json:  node .ci/lock-platform-optionals.js
 */
"use strict";
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");

const file = "package-lock.json";
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const pkgs = lock.packages;
let added = 0;
for (const [where, entry] of Object.entries({ ...pkgs })) {
  for (const [name, range] of Object.entries(entry.optionalDependencies || {})) {
    // Resolve like node: nearest node_modules up from `where`.
    const candidates = [];
    let base = where;
    for (;;) {
      candidates.push(`${base ? base + "/" : ""}node_modules/${name}`);
      const i = base.lastIndexOf("/node_modules/");
      if (base === "") break;
      base = i >= 0 ? base.slice(0, i) : "";
    }
    if (candidates.some((c) => pkgs[c])) continue;
    let info;
    try {
      const view = JSON.parse(execFileSync("npm", ["view", `${name}@${range}`, "version", "os", "cpu", "libc", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
      info = Array.isArray(view) ? view[view.length - 1] : view;
    } catch {
      info = fromName(name, range);
    }
    if (!info) throw new Error(`cannot tell the platform of ${name}@${range}`);
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const e = { version: info.version, optional: true };
    if (entry.dev) e.dev = true;
    for (const f of ["cpu", "os", "libc"]) if (info[f] !== undefined) e[f] = info[f];
    pkgs[key] = e;
    added++;
  }
}
function fromName(name, version) {
  const os = ["darwin", "linux", "win32", "android", "freebsd", "openharmony", "netbsd", "openbsd", "sunos", "aix"].find((o) => new RegExp(`-${o}-`).test(name));
  const cpu = ["arm64", "x64", "ia32", "loong64", "ppc64", "riscv64", "s390x", "arm"].find((c) => new RegExp(`-${c}(-|$)`).test(name));
  if (!os || !cpu) return undefined;
  const info = { version, os: [os], cpu: [cpu] };
  if (os === "linux") {
    if (/-musl/.test(name)) info.libc = ["musl"];
    else if (/-gnu/.test(name)) info.libc = ["glibc"];
  }
  return info;
}

// Keep the packages map ordered as npm writes it.
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} platform-optional lock entries`);
