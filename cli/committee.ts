/**
 * `tangle committee`: the operator's side of a committee change (docs/committee.md, "Changing the
 * committee"). `status` prints every committee since genesis and the change queued on the node;
 * `change` queues a change on a member's node (admin token), `cancel` removes it. The node checks
 * the change (node/committee/change-queue.ts) and answers with a code; this file parses and prints.
 */
import type { CommitteeState, QueuedCommitteeChange } from "../client/api/types";
import { intOption, Opts, required, str, TangleCommand, UsageError } from "./args";
import { formatTable, terminalColumns } from "./progress";
import { connectFor, printJson, withNode } from "./wallet";

const TOKEN_HELP = "the node's --admin-token (or TANGLE_ADMIN_TOKEN)";

export function committeeCommand(): TangleCommand {
  const committee = new TangleCommand("committee").description("the committee: every committee since genesis, and queuing a committee change on a member's node");
  withNode(
    committee
      .command("status")
      .description("every committee since genesis (the index from which each is in force) and the change queued on the node")
      .option("--json", "print getCommittee's answer as JSON"),
  ).action(status);
  withNode(
    committee
      .command("change")
      .description("queue a committee change on this member's node; do the same on every member's node (at least k of them) before the effective index")
      .option("--members <K1,K2,...>", "the new committee's public keys (64 hex each, `tangle key show FILE`), in proposer order, comma-separated")
      .option("--threshold <K>", "signatures a milestone needs from the new committee (more than half of the members, at most all)")
      .option("--effective-index <N>", "the milestone index from which the new committee is in force (at least the node's ledger index + 2)")
      .option("--admin-token <T>", TOKEN_HELP)
      .option("--json", "print the node's answer as JSON"),
  ).action(change);
  withNode(
    committee
      .command("cancel")
      .description("remove the change queued on the node (nothing happens to a change a milestone already carried)")
      .option("--admin-token <T>", TOKEN_HELP)
      .option("--json", "print the node's answer as JSON"),
  ).action(cancel);
  return committee;
}

function adminToken(opts: Opts): string {
  const token = str(opts.adminToken) ?? process.env.TANGLE_ADMIN_TOKEN;
  if (!token) throw new UsageError(`--admin-token T is required (${TOKEN_HELP})`);
  return token;
}

/** --members: comma-separated hex keys, each checked here so a typo is named before the node is asked. */
export function parseMembers(text: string): string[] {
  const keys = text.split(",").map((k) => k.trim());
  keys.forEach((k, i) => {
    if (!/^[0-9a-fA-F]{64}$/.test(k)) throw new UsageError(`--members: entry ${i + 1} ('${k}') is not a public key of 64 hex characters`);
  });
  return keys.map((k) => k.toLowerCase());
}

const short = (key: string) => `${key.slice(0, 8)}…${key.slice(-4)}`;

/** The text for people: the chain of committees, this node's key and its queued change. */
export function formatCommittee(s: CommitteeState, columns = Infinity): string {
  const rows = s.epochs.map((e, i) => [
    String(e.fromIndex),
    `${e.threshold} of ${e.members.length}`,
    e.members.map((m) => (m === s.memberKey ? `${short(m)} (this node)` : short(m))).join(" "),
    e.fromIndex > s.ledgerIndex + 1 ? "waiting" : i === s.epochs.length - 1 || s.epochs[i + 1].fromIndex > s.ledgerIndex + 1 ? "in force" : "retired",
  ]);
  const queued = s.queued ? `queued here: ${describe(s.queued)}${s.stale ? `\n  STALE: ${s.stale}` : ""}` : "queued here: nothing";
  return (
    `ledger at milestone ${s.ledgerIndex}; this node's key: ${s.memberKey ?? "none"}\n` +
    formatTable(["from index", "threshold", "members", "state"], rows, columns) +
    `\n${queued}`
  );
}

function describe(c: QueuedCommitteeChange): string {
  return `${c.threshold} of ${c.members.length} from index ${c.effectiveIndex}: ${c.members.join(",")}`;
}

async function status(opts: Opts): Promise<number> {
  const { client } = await connectFor(opts);
  try {
    const s = await client.request<CommitteeState>("getCommittee");
    if (opts.json) printJson(s);
    else process.stdout.write(formatCommittee(s, terminalColumns()) + "\n");
    return 0;
  } finally {
    client.close();
  }
}

async function change(opts: Opts): Promise<number> {
  const members = parseMembers(required(opts, "members", "--members", "K1,K2,..."));
  const threshold = intOption("threshold", opts.threshold, 1, 255);
  const effectiveIndex = intOption("effective-index", opts.effectiveIndex, 2, 0xffffffff);
  const token = adminToken(opts);
  const { client } = await connectFor(opts);
  try {
    const r = await client.request<{ queued: QueuedCommitteeChange }>("queueCommitteeChange", { token, members, threshold, effectiveIndex });
    if (opts.json) printJson(r);
    else process.stdout.write(`queued: ${describe(r.queued)}\nqueue the same change on every member's node; it is carried by a milestone once k members queued it\n`);
    return 0;
  } finally {
    client.close();
  }
}

async function cancel(opts: Opts): Promise<number> {
  const token = adminToken(opts);
  const { client } = await connectFor(opts);
  try {
    const r = await client.request<{ cancelled: boolean }>("cancelCommitteeChange", { token });
    if (opts.json) printJson(r);
    else process.stdout.write(r.cancelled ? "the queued committee change was removed\n" : "no committee change was queued\n");
    return 0;
  } finally {
    client.close();
  }
}
