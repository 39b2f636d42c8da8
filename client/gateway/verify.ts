/**
 * The stream reader: fetches a stream's records and checks its audit trail.
 *
 * For every record, in sequence order:
 *   1. the bytes decode as a transaction (`undecodable`);
 *   2. BLAKE2b-256 of the bytes is the id the node lists (`id-mismatch`: the stored bytes changed);
 *   3. it is a data record of this stream with the listed sequence (`not-data`, `wrong-stream`,
 *      `sequence-mismatch`);
 *   4. the Ed25519 signature verifies against its issuer (`bad-signature`), and the issuer is the
 *      expected one, or the same as the first record's (`wrong-issuer`);
 *   5. its previous-record id is the id of the record before it (`broken-link`), or all zero for
 *      sequence 0. A link to another attachment of the same signed record (a reattachment) is
 *      accepted after fetching that attachment and comparing essence and signature;
 *   6. sequences have no holes (`gap`, naming the missing range).
 * Confirmation is reported, not judged: `unconfirmed` lists the sequences no milestone confirmed yet.
 *
 * Records the node no longer has are taken from the inclusion proofs the stream's gateway kept
 * (`storedProofs`, from its outbox), each checked first against the genesis (`bad-proof` when it
 * fails); such a record is then judged like any other, and marked `source: "proof"` (`fromProofs`
 * lists them), with the proof's milestone as its confirmation. The node says what it no longer
 * has: every getStream answer carries the lowest sequence it still lists for the stream
 * (`firstSequence`; below it the records were pruned there) and its pruning index (docs/api.md);
 * a record it lists but cannot give (its page ends before it) is asked for by id, and taken from a
 * proof when the node answers ERR_PRUNED or ERR_NOT_FOUND. A sequence that neither the node nor a
 * stored proof has is a `gap`, and the gap says when the node pruned it (`pruned`), so that a
 * report over a pruned stream is still a whole, verified chain, or names what is missing and why.
 *
 * Speed: signatures are checked in batches on the platform's fastest strict verifier
 * (client/protocol/ed25519.ts: libsodium in Node, WebCrypto in browsers that have Ed25519), and
 * `verifyStream` keeps a few pages in flight, checking each page's signatures as it arrives.
 */
import type { ApiClient } from "../api/client";
import type { Bytes32, StreamRecord } from "../api/types";
import { hex32 } from "../api/client";
import { equalBytes, toHex } from "../protocol/bytes";
import { Code } from "../protocol/codes";
import { SHARED_API_LIMITS } from "../protocol/limits";
import { decodeTransaction, DecodedTransaction, signingHash, transactionId } from "../protocol/codec";
import { Ed25519Backend, ed25519Verifier, SignatureCheck } from "../protocol/ed25519";
import { unpackReadings } from "./readings";
import { decodeInclusionProof, ProofTrustRoot, verifyInclusionProof } from "../protocol/inclusion-proof";
import type { StoredProof } from "./outbox";

export type ProblemKind =
  | "undecodable"
  | "id-mismatch"
  | "not-data"
  | "wrong-stream"
  | "sequence-mismatch"
  | "bad-signature"
  | "wrong-issuer"
  | "broken-link"
  | "gap"
  | "bad-proof";

export interface StreamProblem {
  /** The sequence concerned (for a gap: its first missing sequence). */
  sequence: number;
  kind: ProblemKind;
  message: string;
  /** The record's listed id, when there is a record. */
  id?: string;
  /** For gaps: the last missing sequence. */
  toSequence?: number;
  /** For gaps: the node pruned these sequences (they lie below the lowest sequence it lists). */
  pruned?: boolean;
}

/** What the node said it holds of the stream (getStream's bounds; docs/api.md). */
export interface NodeHolding {
  /** The lowest sequence the node lists (null: none); below it, the node pruned the records. */
  firstSequence: number | null;
  lastSequence: number | null;
  /** The node's pruning index (0: it pruned nothing). */
  pruningIndex: number;
}

export interface VerifiedRecord {
  sequence: number;
  id: string;
  issuer: string | null;
  /** Attachment time (ms). */
  timestamp: number | null;
  confirmedBy: number | null;
  contentType: string | null;
  dataBytes: number;
  /** Readings in the record, when its data is a readings array. */
  readings: number | null;
  /** Whether this record passed every check. */
  ok: boolean;
  /** The link from the next record points at this other attachment of the same signed record. */
  linkedAttachment?: string;
  /** Where the record's bytes came from: the node, or a stored inclusion proof (the node no longer has it). */
  source: "node" | "proof";
}

export interface StreamReport {
  streamId: string;
  /** No problems. */
  ok: boolean;
  records: VerifiedRecord[];
  problems: StreamProblem[];
  issuer: string | null;
  confirmed: number;
  unconfirmed: number[];
  firstSequence: number | null;
  lastSequence: number | null;
  /** Sequences checked from stored inclusion proofs because the node no longer has them. */
  fromProofs: number[];
  /** What the node said it holds (null: records checked without a node, verifyRecords). */
  node: NodeHolding | null;
}

export interface VerifyOptions {
  /** Expected issuer public key (default: whoever signed the first record). */
  issuer?: Bytes32;
  /** First sequence to check (default 0). */
  fromSeq?: number;
  /** Most records to check (default: all). */
  maxRecords?: number;
  /** Fetches another attachment by id (to accept reattachments); without it such links are broken. */
  fetchTransaction?: (id: string) => Promise<Uint8Array | undefined>;
  /** The Ed25519 implementation to verify with (default: the platform's fastest, `ed25519Verifier()`). */
  verifier?: Ed25519Backend;
  /**
   * The stream's inclusion proofs its gateway kept (Outbox.proofs), for records the node no longer
   * has, and the genesis they are checked against (verifyStream only).
   */
  storedProofs?: { proofs: readonly StoredProof[]; trust: ProofTrustRoot };
}

export interface FetchOptions {
  fromSeq?: number;
  maxRecords?: number;
  /** Records per getStream request (at most 1000, the node's limit; default 1000). */
  pageSize?: number;
  /** getStream requests in flight at once (default 4). */
  pagesInFlight?: number;
  /** Called with what each getStream answer says the node holds (in the order the answers arrive). */
  onHolding?: (h: NodeHolding) => void;
}

/** The node's getStream limit. */
const MAX_PAGE_SIZE = SHARED_API_LIMITS.maxStreamLimit;
const DEFAULT_PAGES_IN_FLIGHT = 4;
/** Signatures handed to the verifier at once (WebCrypto runs a batch's promises together). */
const SIGNATURE_BATCH = 256;

/** A record decoded, its id recomputed and its signature checked: the order-free part of the work. */
interface Prepared {
  record: StreamRecord;
  decoded: ReturnType<typeof decodeTransaction>;
  actualId: string | null;
  signatureOk: boolean;
}

async function prepare(records: readonly StreamRecord[], verifier: Ed25519Backend): Promise<Prepared[]> {
  const out: Prepared[] = [];
  const checks: SignatureCheck[] = [];
  const owners: Prepared[] = [];
  for (const record of records) {
    const decoded = decodeTransaction(record.bytes);
    const p: Prepared = { record, decoded, actualId: null, signatureOk: false };
    out.push(p);
    if (!decoded.ok) continue;
    p.actualId = toHex(transactionId(record.bytes));
    checks.push({ message: signingHash(record.bytes.subarray(0, decoded.value.essenceLength)), signature: decoded.value.tx.signature, publicKey: decoded.value.tx.issuer });
    owners.push(p);
  }
  for (let i = 0; i < checks.length; i += SIGNATURE_BATCH) {
    const verdicts = await verifier.verifyMany(checks.slice(i, i + SIGNATURE_BATCH));
    for (let j = 0; j < verdicts.length; j++) owners[i + j].signatureOk = verdicts[j];
  }
  return out;
}

/** Checks records already fetched (see the file comment). */
export async function verifyRecords(streamIdIn: Bytes32, records: StreamRecord[], opts: VerifyOptions = {}): Promise<StreamReport> {
  const streamId = hex32("streamId", streamIdIn);
  if (opts.issuer !== undefined) hex32("issuer", opts.issuer);
  const verifier = opts.verifier ?? (await ed25519Verifier());
  return judge(streamId, await prepare([...records].sort((a, b) => a.sequence - b.sequence), verifier), opts);
}

/** The checks that depend on order, over prepared records sorted by sequence. */
async function judge(
  streamId: string,
  prepared: readonly Prepared[],
  opts: VerifyOptions,
  fromProofs: ReadonlySet<number> = new Set(),
  earlier: StreamProblem[] = [],
  holding: NodeHolding | null = null,
): Promise<StreamReport> {
  const fromSeq = opts.fromSeq ?? 0;
  const problems: StreamProblem[] = [...earlier];
  const out: VerifiedRecord[] = [];
  let issuer = opts.issuer === undefined ? null : hex32("issuer", opts.issuer);
  let prev: { sequence: number; id: string; decoded?: DecodedTransaction } | undefined;
  let expected = fromSeq;

  for (const { record: r, decoded: d, actualId, signatureOk } of prepared) {
    const bad = (kind: ProblemKind, message: string) => problems.push({ sequence: r.sequence, kind, id: r.id, message: `sequence ${r.sequence}: ${message}` });
    const before = problems.length;
    if (r.sequence > expected) problems.push(gap(expected, r.sequence - 1, holding, opts.storedProofs !== undefined));
    expected = r.sequence + 1;
    const vr: VerifiedRecord = { sequence: r.sequence, id: r.id, issuer: null, timestamp: null, confirmedBy: r.confirmedBy, contentType: null, dataBytes: 0, readings: null, ok: true, source: fromProofs.has(r.sequence) ? "proof" : "node" };
    out.push(vr);
    if (!d.ok) {
      bad("undecodable", `the stored bytes are not a transaction (${d.code}: ${d.message})`);
      vr.ok = false;
      prev = { sequence: r.sequence, id: r.id };
      continue;
    }
    const tx = d.value.tx;
    if (actualId !== r.id) bad("id-mismatch", `the record was altered: its bytes hash to ${actualId}, but the node lists it as ${r.id}`);
    vr.issuer = toHex(tx.issuer);
    vr.timestamp = tx.timestamp;
    if (!signatureOk) bad("bad-signature", `the signature does not verify for issuer ${vr.issuer}`);
    if (issuer === null) issuer = vr.issuer;
    else if (vr.issuer !== issuer) bad("wrong-issuer", `signed by ${vr.issuer}, expected ${issuer}`);
    const p = tx.payload;
    if (p.type !== "data") bad("not-data", `a ${p.type} transaction, not a data record`);
    else {
      vr.contentType = p.contentType;
      vr.dataBytes = p.data.length;
      try {
        vr.readings = unpackReadings(p.data).length;
      } catch {
        vr.readings = null;
      }
      if (toHex(p.streamId) !== streamId) bad("wrong-stream", `belongs to stream ${toHex(p.streamId)}`);
      if (p.sequence !== r.sequence) bad("sequence-mismatch", `carries sequence ${p.sequence}, listed as ${r.sequence}`);
      const link = toHex(p.prevRecordId);
      if (p.sequence === 0) {
        // The codec already refuses a non-zero link at sequence 0.
      } else if (prev && prev.sequence === r.sequence - 1) {
        if (link !== prev.id) {
          const alt = opts.fetchTransaction && prev.decoded ? await opts.fetchTransaction(link) : undefined;
          const altDecoded = alt ? decodeTransaction(alt) : undefined;
          const sameRecord =
            alt !== undefined &&
            altDecoded?.ok === true &&
            toHex(transactionId(alt)) === link &&
            equalBytes(alt.subarray(0, altDecoded.value.essenceLength + 64), prev.decoded!.bytes.subarray(0, prev.decoded!.essenceLength + 64));
          if (sameRecord) out[out.length - 2].linkedAttachment = link;
          else bad("broken-link", `links to previous record ${link}, but sequence ${prev.sequence} is ${prev.id}${alt ? " (a different record)" : ""}`);
        }
      }
    }
    vr.ok = problems.length === before;
    prev = { sequence: r.sequence, id: r.id, decoded: d.value };
  }

  // A stream whose every listed record is pruned away below fromSeq.. nothing to read: the node's
  // bounds still say what it pruned.
  if (!out.length && holding?.firstSequence != null && holding.firstSequence > fromSeq) problems.push(gap(fromSeq, holding.firstSequence - 1, holding, opts.storedProofs !== undefined));
  const unconfirmed = out.filter((r) => r.confirmedBy === null).map((r) => r.sequence);
  return {
    streamId,
    ok: problems.length === 0,
    records: out,
    problems,
    issuer,
    confirmed: out.length - unconfirmed.length,
    unconfirmed,
    firstSequence: out[0]?.sequence ?? null,
    lastSequence: out[out.length - 1]?.sequence ?? null,
    fromProofs: out.filter((r) => r.source === "proof").map((r) => r.sequence),
    node: holding,
  };
}

/** A gap from..to, saying when the node pruned it (it lies below the lowest sequence the node lists). */
function gap(from: number, to: number, holding: NodeHolding | null, withProofs: boolean): StreamProblem {
  const what = from === to ? `sequence ${from} is missing` : `sequences ${from}..${to} are missing`;
  if (holding?.firstSequence == null || to >= holding.firstSequence) return { sequence: from, toSequence: to, kind: "gap", message: what };
  const why = `the node pruned ${from === to ? "it" : "them"} (it lists the stream from sequence ${holding.firstSequence}, pruning index ${holding.pruningIndex})`;
  const proofs = withProofs ? ` and no stored proof has ${from === to ? "it" : "them"}` : "; the gateway's stored inclusion proofs (its outbox) can stand in";
  return { sequence: from, toSequence: to, kind: "gap", pruned: true, message: `${what}: ${why}${proofs}` };
}

/** The holding with the highest first sequence (pruning only raises it while pages are read). */
function latestHolding(a: NodeHolding | null, b: NodeHolding): NodeHolding {
  return a === null || (b.firstSequence ?? -1) > (a.firstSequence ?? -1) || b.pruningIndex > a.pruningIndex ? b : a;
}

/**
 * Fetches a stream from the node and verifies it. Pages are requested a few at a time and each
 * page's records are decoded and their signatures checked as it arrives, while the node serves
 * the next ones; the order-dependent checks run once every record is in.
 */
export async function verifyStream(client: ApiClient, streamIdIn: Bytes32, opts: VerifyOptions & FetchOptions = {}): Promise<StreamReport> {
  const streamId = hex32("streamId", streamIdIn);
  if (opts.issuer !== undefined) hex32("issuer", opts.issuer);
  const verifier = opts.verifier ?? (await ed25519Verifier());
  const pages: Promise<Prepared[]>[] = [];
  const fromProofs = new Set<number>();
  const proofProblems: StreamProblem[] = [];
  let holding: NodeHolding | null = null;
  const onHolding = (h: NodeHolding) => (holding = latestHolding(holding, h));
  if (!opts.storedProofs) await fetchStream(client, streamId, { ...opts, onHolding, onRecords: (records) => pages.push(prepare(records, verifier)) });
  else {
    const records = await fetchWithProofs(client, streamId, { ...opts, onHolding }, opts.storedProofs, fromProofs, proofProblems);
    pages.push(prepare(records, verifier));
  }
  const prepared = (await Promise.all(pages)).flat();
  return judge(streamId, prepared, {
    ...opts,
    fetchTransaction:
      opts.fetchTransaction ??
      (async (id) => {
        try {
          return (await client.getTransaction(id)).bytes;
        } catch (err) {
          if ((err as { code?: string }).code === Code.ERR_NOT_FOUND) return undefined;
          throw err;
        }
      }),
  }, fromProofs, proofProblems, holding);
}

/**
 * The stream from the node where it still has the records, and from the stored proofs where it
 * does not. First every record the node gives from `fromSeq` on (a page that ends before a record
 * the node lists, one whose body it cannot give, is followed by a read from the sequence after
 * it). Then, in sequence order, each sequence the node did not give is taken from a stored proof
 * when one has it: directly below the node's first listed sequence (the node pruned it), and after
 * asking the node by id above it (the node's own copy is used when it has one). Every proof is
 * checked against the genesis first.
 */
async function fetchWithProofs(
  client: ApiClient,
  streamId: string,
  opts: FetchOptions,
  stored: NonNullable<VerifyOptions["storedProofs"]>,
  fromProofs: Set<number>,
  problems: StreamProblem[],
): Promise<StreamRecord[]> {
  const fromSeq = opts.fromSeq ?? 0;
  const max = opts.maxRecords ?? Infinity;
  let holding: NodeHolding | null = null;
  const onHolding = (h: NodeHolding) => {
    holding = latestHolding(holding, h);
    opts.onHolding?.(h);
  };
  const onNode: StreamRecord[] = [];
  for (let from = fromSeq; onNode.length < max; ) {
    const page = await fetchStream(client, streamId, { ...opts, onHolding, fromSeq: from, maxRecords: max - onNode.length });
    onNode.push(...page);
    const h = holding as NodeHolding | null;
    const next = page.length ? page[page.length - 1].sequence + 1 : Math.max(from, h?.firstSequence ?? from);
    if (h?.lastSequence == null || next > h.lastSequence) break;
    from = next + 1; // the node lists `next` but gave no body for it: a proof may stand in below
  }
  const bySequence = new Map(stored.proofs.filter((p) => p.sequence >= fromSeq).map((p) => [p.sequence, p]));
  const nodeBySequence = new Map(onNode.map((r) => [r.sequence, r]));
  let last = onNode.length ? onNode[onNode.length - 1].sequence : -1;
  for (const seq of bySequence.keys()) last = Math.max(last, seq);
  const first = (holding as NodeHolding | null)?.firstSequence ?? null;
  const out: StreamRecord[] = [];
  for (let seq = fromSeq; seq <= last && out.length < max; seq++) {
    const r = nodeBySequence.get(seq);
    if (r) {
      out.push(r);
      continue;
    }
    const p = bySequence.get(seq);
    if (!p) continue; // a gap, judged later
    if (first === null || seq >= first) {
      // Not below what the node lists: it may have this record although its page stopped before it.
      let bytes: Uint8Array | undefined;
      try {
        bytes = (await client.getTransaction(p.id)).bytes;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== Code.ERR_NOT_FOUND && code !== Code.ERR_PRUNED) throw err;
      }
      if (bytes) {
        const meta = await client.getTransactionMetadata(p.id);
        out.push({ sequence: seq, id: p.id, bytes, confirmedBy: meta.confirmedBy });
        continue;
      }
    }
    const d = decodeInclusionProof(p.proof);
    const verdict = d.ok ? verifyInclusionProof(d.value, stored.trust) : d;
    if (!verdict.ok || !d.ok || verdict.transactionId !== p.id) {
      const why = !verdict.ok ? `${verdict.code}: ${verdict.message}` : `it proves ${verdict.transactionId}, not ${p.id}`;
      problems.push({ sequence: seq, kind: "bad-proof", id: p.id, message: `sequence ${seq}: the node no longer has record ${p.id} and its stored inclusion proof fails (${why})` });
      continue;
    }
    fromProofs.add(seq);
    out.push({ sequence: seq, id: p.id, bytes: d.value.transaction, confirmedBy: verdict.milestoneIndex });
  }
  return out;
}

interface Page {
  start: number;
  records: StreamRecord[];
  /** The page was cut at its limit: records may follow its last one. */
  full: boolean;
}

/**
 * Every record of a stream from `fromSeq` (at most `maxRecords`), in sequence order, with up to
 * `pagesInFlight` getStream requests at once. Page k asks from `fromSeq + k * pageSize`; a page
 * holds every record from its start to its last record (to the end of the stream when it is not
 * full), so pages are merged in order of their start and what they repeat is dropped. A page that
 * returns records past the next page's start (a gap in the sequences) moves the next request on.
 * `onRecords` sees each run of new records as it is merged, in order.
 */
export async function fetchStream(client: ApiClient, streamId: Bytes32, opts: FetchOptions & { onRecords?: (records: StreamRecord[]) => void } = {}): Promise<StreamRecord[]> {
  const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, opts.pageSize ?? MAX_PAGE_SIZE));
  const pagesInFlight = Math.max(1, opts.pagesInFlight ?? DEFAULT_PAGES_IN_FLIGHT);
  const max = opts.maxRecords ?? Infinity;
  const out: StreamRecord[] = [];
  /** Every record from fromSeq up to (not including) `covered` is in `out`. */
  let covered = opts.fromSeq ?? 0;
  let next = covered;
  /** No page starting after this sequence can hold anything (a page starting here was not full). */
  let lastUseful = Infinity;
  let complete = false;
  let failure: { error: unknown } | undefined;
  let outstanding = 0;
  const arrived = new Map<number, Page>();
  let wake: () => void = () => {};

  const request = (start: number, limit: number) => {
    outstanding++;
    client.getStream(streamId, { fromSeq: start, limit }).then(
      (page) => {
        opts.onHolding?.({ firstSequence: page.firstSequence, lastSequence: page.lastSequence, pruningIndex: page.pruningIndex });
        arrived.set(start, { start, records: page.records, full: page.records.length >= limit });
      },
      (error) => (failure ??= { error }),
    ).finally(() => {
      outstanding--;
      wake();
    });
  };
  /** Merges the pages that continue what is merged; returns the runs of new records. */
  const merge = (): StreamRecord[][] => {
    const runs: StreamRecord[][] = [];
    for (;;) {
      let page: Page | undefined;
      for (const p of arrived.values()) if (p.start <= covered && (!page || p.start < page.start)) page = p;
      if (!page) return runs;
      arrived.delete(page.start);
      const fresh = page.records.filter((r) => r.sequence >= covered).slice(0, max - out.length);
      if (fresh.length) {
        out.push(...fresh);
        runs.push(fresh);
      }
      if (!page.full || out.length >= max) {
        complete = true;
        return runs;
      }
      covered = Math.max(covered, page.records[page.records.length - 1].sequence + 1);
    }
  };

  while (!complete) {
    if (failure) throw failure.error;
    const runs = merge();
    if (!complete) {
      for (const p of arrived.values()) if (!p.full) lastUseful = Math.min(lastUseful, p.start);
      next = Math.max(next, covered);
      while (outstanding < pagesInFlight && next <= lastUseful && out.length + (outstanding + arrived.size) * pageSize < max) {
        request(next, Math.min(pageSize, max - out.length));
        next += pageSize;
      }
      // Never wait on nothing: the page at `covered` always moves the merge on.
      if (outstanding === 0) request(covered, Math.min(pageSize, max - out.length));
    }
    // The next pages are asked for before the caller works on these (the node serves them meanwhile).
    for (const run of runs) opts.onRecords?.(run);
    if (!complete) await new Promise<void>((resolve) => (wake = resolve));
  }
  return out;
}
