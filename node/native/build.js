#!/usr/bin/env node
"use strict";
// Builds the optional native helper (pages.c) with node-gyp. Linux only; when it cannot be built
// (no compiler, no Node headers) the node runs without it, so this never fails the install.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

if (process.platform !== "linux") {
  console.log("native helper: not built (Linux only); mapped database pages are left to the kernel");
  process.exit(0);
}
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
];
try {
  candidates.push(require.resolve("node-gyp/bin/node-gyp.js"));
} catch {
  // not installed locally
}
const gyp = candidates.find((f) => f && fs.existsSync(f));
const args = ["rebuild", "--directory", __dirname];
// Use the headers that came with this Node when present (no download needed).
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);
const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }) : undefined;
if (r && r.status === 0) {
  console.log("native helper: built (mapped database pages are released from the resident set)");
} else {
  const why = !gyp ? "node-gyp not found" : (r.stderr || "").split("\n").filter((l) => /ERR!|error/.test(l)).slice(0, 3).join("; ");
  console.warn(`native helper: not built (${why || "node-gyp failed"}); the node runs without releasing mapped pages`);
}
