/**
 * Child process of the crash test: opens a node on `--data DIR` (genesis from DIR/genesis.json),
 * coordinates it, and ingests a steady load of data records and transfers from several concurrent
 * submitters, printing `ACK <id>` on stdout only after each submit resolved (= durable). The parent
 * kills it with SIGKILL at a random moment and checks that every printed id survived.
 *
 *   node dist/node/tools/crash-child.js --data DIR [--concurrency 8]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { Payload } from "../../client/protocol/codec";
import { Coordinator } from "../coordinator";
import { parseGenesis } from "../ledger/genesis";
import { TangleNode } from "../tangle-node";
import { requiredDifficulty } from "../validation/pipeline";

import { CRASH_COORDINATOR_SEED, CRASH_WALLET_SEED } from "./crash-genesis";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

function out(line: string): void {
  fs.writeSync(1, line + "\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: "string" }, concurrency: { type: "string", default: "8" } } });
  const dir = values.data!;
  const genesis = parseGenesis(fs.readFileSync(path.join(dir, "genesis.json"), "utf8"));
  const node = await TangleNode.open({ dataDir: path.join(dir, "db"), genesis, solidifyTimeoutMs: 2000 });
  out(`READY ${node.ledgerIndex} ${node.storedTransactions} ${Math.round(node.startupMs)}`);
  const coord = new Coordinator(node, CRASH_COORDINATOR_SEED, { intervalMs: 40, onError: (e) => out(`COORD-ERROR ${e.message}`) });
  coord.start();
  const wallet = keyPairFromSeed(CRASH_WALLET_SEED);
  const me = addressOf(wallet.publicKey);
  // Transfers walk a chain of change outputs from the genesis output; after a restart they start
  // from whatever output the wallet still owns (a conflict is fine: it must just be consistent).
  const nextInput = () => {
    const outs = node.outputs(me);
    return outs.length ? outs[Math.floor(Math.random() * outs.length)] : undefined;
  };
  const stream = randomBytes(32);
  let seq = 0;
  let prev: Uint8Array = new Uint8Array(32);
  const build = (payload: Payload) => {
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: wallet.publicKey, payload }, wallet.secretKey);
    const bytes = attach(signed, node.selectParents(2).map((p) => fromHex(p)), node.now());
    return stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty));
  };
  const worker = async () => {
    for (;;) {
      let payload: Payload;
      const input = Math.random() < 0.2 ? nextInput() : undefined;
      if (input) {
        const half = input.amount / 2n;
        payload = {
          type: "transfer",
          inputs: [{ txId: input.txId, index: input.index }],
          outputs: half > 0n ? [{ address: me, amount: half }, { address: me, amount: input.amount - half }] : [{ address: me, amount: input.amount }],
        };
      } else {
        const s = seq++;
        payload = { type: "data", streamId: stream, sequence: s, prevRecordId: s === 0 ? new Uint8Array(32) : prev, contentType: "application/json", data: new TextEncoder().encode(`{"t":${Date.now()}}`) };
      }
      try {
        const r = await node.submit(build(payload));
        if (payload.type === "data") prev = fromHex(r.id);
        out(`ACK ${r.id}`);
      } catch (err) {
        out(`NACK ${(err as { code?: string }).code ?? (err as Error).message}`);
      }
    }
  };
  for (let i = 0; i < Number(values.concurrency); i++) void worker();
}

if (require.main === module) {
  main().catch((err) => {
    out(`FATAL ${(err as Error).stack}`);
    process.exit(1);
  });
}
