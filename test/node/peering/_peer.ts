/**
 * A raw peer for tests: a WebSocket on a node's `/peer` path that speaks the peer protocol by hand
 * (frames through the one frame codec), keeps every frame the node sends, and reports the close code.
 */
import WebSocket from "ws";
import { toHex } from "../../../client/protocol/bytes";
import { packFrame } from "../../../client/protocol/frame";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { devGenesis } from "../../../node/networks/dev";
import { PEER_PATH, PEER_PROTOCOL_VERSION } from "../../../node/peering/protocol";

/** A hello of the dev network (or of `networkId` and `genesisId` given), at milestone 0. */
export function devHello(other: { networkId?: number; genesisId?: string } = {}) {
  return { t: "hello", protocol: PEER_PROTOCOL_VERSION, networkId: other.networkId ?? devGenesis().networkId, genesisId: other.genesisId ?? toHex(genesisTransactionId(devGenesis())), latestMilestoneIndex: 0 };
}

export interface RawPeer {
  ws: WebSocket;
  /** Every frame the node sent, in order. */
  frames: Buffer[];
  /** The close code, once the connection closes. */
  closed: Promise<number>;
  send(msg: unknown): void;
}

/**
 * Connects to the node on 127.0.0.1:`port` as a peer, from `localAddress` if given (another
 * loopback address: bans are by address); resolves once the socket is open.
 */
export async function rawPeer(port: number, localAddress?: string): Promise<RawPeer> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${PEER_PATH}`, localAddress ? { localAddress } : {});
  const frames: Buffer[] = [];
  ws.on("message", (d: Buffer) => frames.push(d));
  const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, frames, closed, send: (msg) => ws.send(packFrame(msg)) };
}
