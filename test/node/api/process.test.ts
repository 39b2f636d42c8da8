/**
 * What only a real `tangle node` process shows (the rest of the API is tested in-process in
 * api.test.ts): its JSON log lines on stdout in the start order of node/main.ts, including the dev
 * wallet's address as bech32m; SIGTERM stops it in the shutdown order, to "stopped", with exit 0.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toHex } from "../../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { encodeAddress } from "../../../client/wallet/address";
import { devWalletSeed } from "../../../node/networks/dev";
import { RawClient, startNodeProcess, NodeProcess } from "./_process";

let node: NodeProcess | undefined;
let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-api-process-"));
});

afterAll(async () => {
  await node?.stop("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("a real node process logs its start in order, the dev address as bech32m, and stops on SIGTERM with exit 0", async () => {
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", dataDir, "--milestone-interval-ms", "100"]);
  const c = await RawClient.connect(node.url);
  expect(await c.call("ping")).toBe("pong");
  c.close();
  expect(await node.stop("SIGTERM")).toBe(0);

  const lines = node.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  const devAddr = addressOf(keyPairFromSeed(devWalletSeed()).publicKey);
  expect(lines.find((j) => j.devAddress !== undefined)).toMatchObject({ devAddress: encodeAddress(devAddr, "tdev"), devAddressHex: toHex(devAddr) });
  // The lifecycle lines, in order (others, such as the heap warning or debug lines, may come between).
  const lifecycle = lines.map((j) => j.msg).filter((m) => ["database opened", "listening", "stopping", "stopped"].includes(m as string));
  expect(lifecycle).toEqual(["database opened", "listening", "stopping", "stopped"]);
  expect(lines.find((j) => j.msg === "stopping")).toMatchObject({ signal: "SIGTERM" });
  expect(lines.find((j) => j.msg === "listening")).toMatchObject({ url: node.url, coordinator: true, intervalMs: 100, remotePow: true });
}, 30_000);
