/**
 * What the gateway learned from the node on the current connection: its info (network), its
 * milestone 1 (which tangle), and the streams whose outbox head was checked against it. A
 * reconnection may reach another node, or one whose data directory was wiped, so the gateway
 * starts a new session on every open and asks again.
 */
import type { ApiClient } from "../api/client";
import { hasCode } from "../api/errors";
import type { NodeInfo } from "../api/types";
import { Code } from "../protocol/codes";

export class NodeSession {
  /** Streams whose head was checked against this node (or taken from it). */
  readonly checked = new Set<string>();
  private info?: Promise<NodeInfo>;
  private anchor?: string | null;
  private anchorAt = 0;

  constructor(private readonly client: ApiClient) {}

  /** getNodeInfo once per connection (asked again after a failure). */
  nodeInfo(): Promise<NodeInfo> {
    if (!this.info) {
      const info = this.client.getNodeInfo();
      this.info = info;
      info.catch(() => {
        if (this.info === info) this.info = undefined;
      });
    }
    return this.info;
  }

  /**
   * The id of the node's milestone 1: what tells one tangle from another of the same network (two
   * dev nodes started afresh share networkId and genesis). Null while the node has none; asked
   * again at most once a second then.
   */
  async tangleAnchor(): Promise<string | null> {
    if (this.anchor !== undefined && (this.anchor !== null || Date.now() - this.anchorAt < 1000)) return this.anchor;
    try {
      this.anchor = (await this.client.getMilestone(1)).id;
    } catch (err) {
      if (!hasCode(err, Code.ERR_NOT_FOUND)) throw err;
      this.anchor = null;
    }
    this.anchorAt = Date.now();
    return this.anchor;
  }
}
