/**
 * Four real node processes in a ring (A-B-C-D-A), A the coordinator: a record submitted to one node
 * is confirmed on all with the same ledger and stored once each (gossip around a cycle); a peer
 * that sends an invalid transaction after a proper handshake is disconnected (4003) and the node's
 * own links stay; a peer of another network is refused at the handshake (4001).
 */
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { devGenesis, devWalletSeed } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { cleanup, launch, NetNode, stopAll, waitFor } from "./_net";
import { devHello, rawPeer } from "../node/peering/_peer";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

jest.setTimeout(90_000);
const nodes: NetNode[] = [];

beforeAll(async () => {
  const A = await launch(["--coordinator-key", "dev"]);
  const B = await launch(["--peer", A.proc.url]);
  const C = await launch(["--peer", B.proc.url]);
  const D = await launch(["--peer", C.proc.url, "--peer", A.proc.url]);
  nodes.push(A, B, C, D);
});

afterAll(async () => {
  await stopAll(nodes);
  cleanup();
});

test("a record submitted to one node of the ring is confirmed on all with the same ledger", async () => {
  const [A, , C] = nodes;
  await waitFor("ring synced", async () => {
    const infos = await Promise.all(nodes.map((n) => n.client.call("getNodeInfo")));
    return infos.every((i) => i.synced && i.confirmedMilestoneIndex > 1);
  });
  const dev = keyPairFromSeed(devWalletSeed());
  const { parents } = await C.client.call("selectParents", { count: 3 });
  const signed = signTransaction(
    { version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: dev.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: new Uint8Array(4) } },
    dev.secretKey,
  );
  const bytes = stampSync(attach(signed, parents.map((p: string) => fromHex(p)), Date.now()), requiredDifficulty(300, devGenesis().baseDifficulty));
  const id = toHex(transactionId(bytes));
  await C.client.call("submitTransaction", { bytes });
  for (const n of nodes) await waitFor("confirmed everywhere", async () => (await n.client.call("getTransactionMetadata", { id })).confirmed);
  const index = (await A.client.call("getTransactionMetadata", { id })).confirmedBy;
  const hashes = await Promise.all(nodes.map(async (n) => (await n.client.call("getMilestone", { index })).stateHash));
  expect(new Set(hashes).size).toBe(1);
  // Gossip reached every node once through the ring (duplicates dropped, not stored twice).
  const stored = await Promise.all(nodes.map((n) => n.client.call("getTransaction", { id })));
  for (const s of stored) expect(toHex(s.bytes)).toBe(toHex(bytes));
});

test("a peer that sends an invalid transaction after a proper handshake is disconnected", async () => {
  const B = nodes[1];
  const peer = await rawPeer(B.proc.port);
  peer.send(devHello());
  peer.send({ t: "tx", bytes: new Uint8Array(200).fill(7) });
  expect(await peer.closed).toBe(4003);
  const peers = (await B.client.call("getPeers")).peers;
  // B's own links stay: out to A, in from C; the offender is not among the connected.
  const connected = peers.filter((p: { connected: boolean }) => p.connected) as { url: string; direction: string }[];
  expect(connected.map((p) => p.direction).sort()).toEqual(["in", "out"]);
  expect(connected.find((p) => p.direction === "out")!.url).toBe(nodes[0].proc.url.replace(/\/$/, ""));
});

test("a peer of another network is refused at the handshake", async () => {
  const peer = await rawPeer(nodes[0].proc.port);
  peer.send(devHello({ networkId: 12345, genesisId: "00".repeat(32) }));
  expect(await peer.closed).toBe(4001);
});
