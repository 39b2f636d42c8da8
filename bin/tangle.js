#!/usr/bin/env node
"use strict";
// The `tangle` command. The implementation is compiled TypeScript (npm install builds it).
let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).startsWith("Cannot find module '../dist/cli/main.js'")) {
    process.stderr.write("tangle: not built yet; run `npm install` (or `npm run build`) first\n");
    process.exit(1);
  }
  throw err;
}
// A reader that goes away first (`tangle wallet send --help | head -5`) is not a failure of the
// command: stop quietly, as a program ended by SIGPIPE does, instead of an unhandled EPIPE.
process.stdout.on("error", (err) => {
  if (err && err.code === "EPIPE") process.exit(0);
  throw err;
});
// Exit only once stdout and stderr have flushed what the command wrote: process.exit() right after
// a write can lose it when stdout is a pipe (seen under load in CI).
function exitAfterFlush(code) {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
cli.main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code ?? 0),
  (err) => {
    // Anything may be thrown (lmdb's error codes are numbers; a library may throw a string).
    let line;
    try {
      line = cli.describeError(err);
    } catch {
      line = "unknown error";
    }
    process.stderr.write(`tangle: ${line}\n`);
    exitAfterFlush(1);
  },
);
