import * as fs from "node:fs";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require("../../core-wasm/tools/gen-kernels.js") as { OUTPUTS: [string, () => string][] };

describe("generated kernels", () => {
  test.each(gen.OUTPUTS.map(([file, fn]) => [path.relative(process.cwd(), file), file, fn] as const))(
    "%s is what the generator produces (rerun core-wasm/tools/gen-kernels.js after editing it)",
    (_name, file, fn) => {
      expect(fs.readFileSync(file, "utf8")).toBe(fn());
    },
  );

  test("the release module stays within 32 KiB", () => {
    const size = fs.statSync(path.join(__dirname, "..", "..", "core-wasm", "build", "release.wasm")).size;
    expect(size).toBeLessThanOrEqual(32 * 1024);
  });
});
