/**
 * Which tangle a stream goes on: the outbox's head of a stream, checked against the node once per
 * connection (the rule is in gateway.ts's header). The node has the head record, or lacks it but
 * has the same milestone 1 the head was acknowledged under: the head stands. Otherwise the node's
 * head of the stream is taken instead and reported as a rebase.
 */
import type { ApiClient } from "../api/client";
import { Code } from "../protocol/codes";
import type { NodeSession } from "./node-session";
import type { Outbox, SealedRecord, StreamHead } from "./outbox";
import { findStreamHead, sealedContent } from "./stream-head";
import { GatewayError, type RebaseEvent } from "./types";

export interface HeadCheck {
  client: ApiClient;
  outbox: Outbox;
  /** The current connection's session (replaced on every open; read at each use, as before). */
  session: NodeSession;
  gatewayPublicKey: Uint8Array;
  /** A stream the outbox has no head for starts after the node's last record (else at 0). */
  resumeFromNode: boolean;
  onRebase(e: RebaseEvent): void;
}

/**
 * The stream's head on this network: the outbox's, checked against the node once per connection,
 * or (first time) the node's last record of the stream. `rec` is the sealed record, if any: the
 * node may have it already (stored, acknowledgement lost).
 */
export async function checkedHead(h0: HeadCheck, network: number, streamId: string, rec?: SealedRecord): Promise<StreamHead> {
  const { client, outbox } = h0;
  const h = outbox.head(network, streamId);
  if (!h) {
    const head = h0.resumeFromNode ? await findStreamHead(client, streamId, h0.gatewayPublicKey) : { nextSequence: 0, prevId: null };
    await outbox.setHead(network, streamId, head);
    h0.session.checked.add(streamId);
    return head;
  }
  if (h.nextSequence === 0 || h0.session.checked.has(streamId)) return h;
  const page = await client.getStream(streamId, { fromSeq: h.nextSequence - 1, limit: 2 });
  const last = page.records.find((r) => r.sequence === h.nextSequence - 1);
  const beyond = page.records.some((r) => r.sequence >= h.nextSequence && r.id !== rec?.id);
  let sameTangle = last?.id === h.prevId && !beyond;
  if (!sameTangle && !last && !beyond && h.tangle !== undefined) sameTangle = h.tangle === (await h0.session.tangleAnchor());
  if (sameTangle) {
    h0.session.checked.add(streamId);
    return h;
  }
  if (!last && !beyond) {
    // The node lacks our head: another tangle, unless it is still catching up with its peers.
    const info = await client.getNodeInfo();
    if (!info.synced) throw new GatewayError(Code.ERR_NOT_SYNCED, `the node is catching up with its peers; stream ${streamId} waits`, streamId);
  }
  const found = await findStreamHead(client, streamId, h0.gatewayPublicKey);
  const anchor = found.nextSequence > 0 ? await h0.session.tangleAnchor() : null;
  const next: StreamHead = { ...found, ...(anchor ? { tangle: anchor } : {}) };
  await outbox.setHead(network, streamId, next);
  h0.session.checked.add(streamId);
  const unsealed = rec && (rec.sequence !== next.nextSequence || sealedContent(rec).prevId !== next.prevId) ? rec.readings : 0;
  h0.onRebase({ streamId, networkId: network, from: h, to: next, unsealed });
  return next;
}
