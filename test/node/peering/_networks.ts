/** Another network than dev for tests: the dev genesis under another network id and name, with the dev coordinator. */
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../../client/protocol/bytes";
import { devCoordinatorSeed, devGenesis } from "../../../node/networks/dev";

export const OTHER_NETWORK_ID = 0x6f746831; // "oth1"

/** Writes the genesis and coordinator key files into `dir`; returns the node arguments for that network. */
export function otherNetworkArgs(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const genesis = path.join(dir, "other-genesis.json");
  const key = path.join(dir, "other-coordinator.key");
  fs.writeFileSync(genesis, JSON.stringify({ ...devGenesis(), networkId: OTHER_NETWORK_ID, networkName: "other" }));
  fs.writeFileSync(key, toHex(devCoordinatorSeed()));
  return ["--network", genesis, "--coordinator-key", key];
}
