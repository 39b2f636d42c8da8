/**
 * `tangle peers`: the node's peers as getPeers reports them, with each one's last connection error
 * (a configured peer that is not connected says why). Exit 0 when the node answered.
 */
import type { PeerInfo } from "../client/api/types";
import { Opts, TangleCommand } from "./args";
import { formatTable, terminalColumns } from "./progress";
import { connectFor, printJson, withNode } from "./wallet";

export function peersCommand(): TangleCommand {
  return withNode(
    new TangleCommand("peers")
      .description("list the node's peers: connected or not, traffic, latency, and why the last connection failed")
      .option("--json", "print getPeers' answer as JSON"),
  ).action(peers);
}

/** "12 s ago", "3 min ago", … */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** The table for people: one row per peer, the last error's code, sentence and age at the end. */
export function formatPeers(list: PeerInfo[], now = Date.now(), columns = Infinity): string {
  if (list.length === 0) return "no peers (start the node with --peer URL, or addPeer)";
  const rows = list.map((p) => [
    p.url,
    p.direction,
    p.connected ? "yes" : "no",
    p.connected ? String(p.latestMilestoneIndex) : "-",
    String(p.sent),
    String(p.received),
    p.latencyMs === null ? "-" : `${p.latencyMs} ms`,
    p.lastError ? `${p.lastError.code} (${ago(p.lastError.at, now)}): ${p.lastError.message}` : "-",
  ]);
  return formatTable(["peer", "dir", "connected", "milestone", "sent", "received", "latency", "last error"], rows, columns);
}

async function peers(opts: Opts): Promise<number> {
  const { client } = await connectFor(opts);
  try {
    const r = await client.request<{ peers: PeerInfo[] }>("getPeers");
    if (opts.json) printJson(r);
    else process.stdout.write(formatPeers(r.peers, Date.now(), terminalColumns()) + "\n");
    return 0;
  } finally {
    client.close();
  }
}
