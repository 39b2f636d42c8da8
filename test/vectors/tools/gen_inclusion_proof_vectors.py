#!/usr/bin/env python3
"""Independent generator of the inclusion proof vectors (test/vectors/inclusion-proof.json).

Written from docs/proofs.md, docs/protocol.md and docs/ledger.md alone, in another language than
the TypeScript verifier: the tangle, white flag, merkle roots and signatures come from the Python
writer of gen_protocol_vectors.py (hashlib's BLAKE2b, Ed25519 from RFC 8032), and the proofs, their
audit paths (RFC 6962 PATH, read literally: the recursive split) and both forms from docs/proofs.md.
Run: python3 test/vectors/tools/gen_inclusion_proof_vectors.py

The tangle: a genesis with a 2-of-3 committee (seeds d0, d1, d2); milestone 1, signed by d0 and d2,
confirms five transactions (three records of one stream, a transfer that applies and one that
conflicts with it); milestone 2 (d0, d1) confirms one record and carries a committee change
effective at 3 (d2 replaced by d3, still 2 of 3); milestone 3, signed by d0 and d3, confirms three
records. Proofs of several leaves, of a milestone itself and across the committee change, and
tampered variants, each with the code a verifier must answer (docs/proofs.md).
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import gen_protocol_vectors as gpv  # noqa: E402
from gen_protocol_vectors import WhiteFlagWriter, ed25519_public, h256  # noqa: E402

NETWORK_ID = 0x50524F46  # "PROF"
BASE = 4
COMMITTEE = [bytes([0xD0 + i]) * 32 for i in range(4)]  # d0, d1, d2 in the genesis; d3 joins at 3
CONFLICT_CODES = ["INPUT_SPENT", "INPUT_UNKNOWN", "INPUT_NOT_OWNED", "AMOUNT_MISMATCH"]
EFFECT_CODES = ["none", "applied", "conflicting"]


class CommitteeWriter(WhiteFlagWriter):
    """The white-flag writer with milestones signed by several members and carrying a change."""

    def committee_milestone(self, name, parents, signers, change=None):
        # WhiteFlagWriter.milestone signs with its one coordinator seed and no change; it reads
        # milestone_fields and milestone_payload from its module, so they are wrapped for this call.
        fields, payload = gpv.milestone_fields, gpv.milestone_payload
        gpv.milestone_fields = lambda *a: fields(*a, change)
        gpv.milestone_payload = lambda network_id, ps, f, _seeds: payload(network_id, ps, f, signers)
        self.coordinator_seed = signers[0]
        try:
            return self.milestone(name, parents)
        finally:
            gpv.milestone_fields, gpv.milestone_payload = fields, payload


# ---- docs/proofs.md -------------------------------------------------------------------------------
def mth(leaves):
    """RFC 6962 MTH over ids: H(0x00 || id) leaves, H(0x01 || l || r) nodes, recursive split."""
    return gpv.merkle_tree_hash(leaves)


def path(m, leaves):
    """RFC 6962 PATH(m, D[n]), from the leaf's level up."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def proof(w, name, changes):
    """The proof of transaction `name` (docs/proofs.md, JSON form), as a dict."""
    tx_id = w.names[name]
    t = w.txs[tx_id]
    index = w.confirmed_by[tx_id]
    m = w.milestones[index - 1]
    ms_id = bytes.fromhex(m["idHex"])
    if t["transfer"] is None:
        effect, conflict = "none", None
    elif tx_id in w.conflict:
        effect, conflict = "conflicting", w.conflict[tx_id]
    else:
        effect, conflict = "applied", None
    if tx_id == ms_id:
        p = None
    else:
        included = [bytes.fromhex(h) for h in m["includedHex"]]
        leaf = included.index(tx_id)
        p = {"leafIndex": leaf, "treeSize": len(included), "siblings": [s.hex() for s in path(leaf, included)]}
    return {
        "type": "tangle-inclusion-proof",
        "version": 1,
        "networkId": w.network_id,
        "transactionId": tx_id.hex(),
        "transaction": t["bytes"].hex(),
        "ledgerEffect": effect,
        "conflict": conflict,
        "milestone": {"index": index, "id": m["idHex"], "transaction": w.txs[ms_id]["bytes"].hex()},
        "path": p,
        "committeeChanges": [w.txs[w.names[c]]["bytes"].hex() for c in changes],
    }


def proof_bytes(j):
    """docs/proofs.md, Byte form."""
    b = b"TGIP" + bytes([j["version"]]) + struct.pack("<I", j["networkId"]) + bytes.fromhex(j["transactionId"])
    b += bytes([EFFECT_CODES.index(j["ledgerEffect"]), 0 if j["conflict"] is None else CONFLICT_CODES.index(j["conflict"]) + 1])
    tx = bytes.fromhex(j["transaction"])
    b += struct.pack("<I", len(tx)) + tx
    ms = bytes.fromhex(j["milestone"]["transaction"])
    b += struct.pack("<I", j["milestone"]["index"]) + bytes.fromhex(j["milestone"]["id"]) + struct.pack("<I", len(ms)) + ms
    if j["path"] is None:
        b += b"\x00"
    else:
        p = j["path"]
        b += b"\x01" + struct.pack("<IIB", p["leafIndex"], p["treeSize"], len(p["siblings"])) + b"".join(bytes.fromhex(s) for s in p["siblings"])
    b += struct.pack("<H", len(j["committeeChanges"]))
    for c in j["committeeChanges"]:
        c = bytes.fromhex(c)
        b += struct.pack("<I", len(c)) + c
    return b


def flip(hex_string, byte_at):
    b = bytearray(bytes.fromhex(hex_string))
    b[byte_at] ^= 0x01
    return b.hex()


def copy(j):
    return json.loads(json.dumps(j))


def resign(w, ms_hex, signers):
    """The milestone transaction `ms_hex` with its signatures replaced by `signers`' over the same essence."""
    ms = bytes.fromhex(ms_hex)
    # Essence: version u8 · network u32 · issuer 32 · type u8 · length u32 · payload.
    plen = struct.unpack_from("<I", ms, 38)[0]
    payload = ms[42:42 + plen]
    body = ms[42 + plen + 64:]
    ts = struct.unpack_from("<Q", body, 0)[0]
    count = body[8]
    parents = [body[9 + 32 * i:9 + 32 * (i + 1)] for i in range(count)]
    # The fields end where the signature count begins (docs/protocol.md, Payload 3).
    fields_len = 4 + 8 + 32 * 4 + 1
    if payload[fields_len - 1] == 1:
        fields_len += 4 + 1 + 1 + 32 * payload[fields_len + 5]
    fields = payload[:fields_len]
    new_payload, _, _ = gpv.milestone_payload(w.network_id, parents, fields, signers)
    tx, tx_id, _ = gpv.stamped(signers[0], w.network_id, 3, new_payload, parents, ts, w.base)
    return tx.hex(), tx_id.hex()


def main():
    alice, bob = bytes([0xA1]) * 32, bytes([0xB0]) * 32
    addr = {"alice": h256(ed25519_public(alice)[0]), "bob": h256(ed25519_public(bob)[0])}
    d0, d1, d2, d3 = COMMITTEE
    genesis_committee = {"members": [ed25519_public(s)[0].hex() for s in (d0, d1, d2)], "threshold": 2}
    new_members = [ed25519_public(s)[0] for s in (d0, d1, d3)]
    w = CommitteeWriter(NETWORK_ID, BASE, d0, [(addr["alice"], 1000)], 1764000000000)
    G, Z = w.genesis_id, bytes(32)
    stream = h256(b"air-quality-9")

    # Milestone 1 (d0, d2): records r0..r2 of one stream, t-ok applies, t-dup spends the same output.
    r0 = w.data("r0", alice, stream, 0, Z, [Z, G])
    t_ok = w.transfer("t-ok", alice, [(G, 0)], [(addr["bob"], 600), (addr["alice"], 400)], [r0, G])
    r1 = w.data("r1", alice, stream, 1, r0, [r0, t_ok])
    t_dup = w.transfer("t-dup", alice, [(G, 0)], [(addr["bob"], 1000)], [r1, G])
    r2 = w.data("r2", alice, stream, 2, r1, [r1, t_dup])
    m1 = w.committee_milestone("m1", [r2, t_dup], [d0, d2])
    # Milestone 2 (d0, d1): one record; carries the change effective at 3.
    r3 = w.data("r3", alice, stream, 3, r2, [m1, r2])
    m2 = w.committee_milestone("m2", [m1, r3], [d0, d1], (3, 2, new_members))
    # Milestone 3 (d0, d3: the new committee): three records side by side.
    r4 = w.data("r4", bob, stream, 4, r3, [m2, r3])
    r5 = w.data("r5", bob, stream, 5, r4, [m2, r4])
    r6 = w.data("r6", bob, stream, 6, r5, [r4, r5])
    w.committee_milestone("m3", [m2, r6], [d3, d0])
    assert w.milestones[0]["includedNames"] == ["r0", "t-ok", "r1", "t-dup", "r2"], w.milestones[0]["includedNames"]
    assert [c["name"] for c in w.milestones[0]["conflicts"]] == ["t-dup"]

    base = {
        "first": proof(w, "r0", []),
        "applied-transfer": proof(w, "t-ok", []),
        "conflicting-transfer": proof(w, "t-dup", []),
        "odd-last-leaf": proof(w, "r2", []),
        "milestone-itself": proof(w, "m1", []),
        "single-leaf": proof(w, "r3", []),
        "after-committee-change": proof(w, "r5", ["m2"]),
        "milestone-after-change": proof(w, "m3", ["m2"]),
    }
    valid = [{"name": k, "json": v, "binaryHex": proof_bytes(v).hex(), "expect": "ok"} for k, v in base.items()]

    other_genesis = {"networkId": NETWORK_ID + 1, "committee": genesis_committee}
    bad = []

    def add(name, j, code, binary=True, genesis="genesis"):
        bad.append({"name": name, "json": j, "binaryHex": proof_bytes(j).hex() if binary else None, "verifyWith": genesis, "expect": code})

    j = copy(base["applied-transfer"])
    j["transaction"] = flip(j["transaction"], 100)
    add("transaction byte flipped", j, "ERR_PROOF_TX_ID")

    j = copy(base["applied-transfer"])
    j["transactionId"] = base["first"]["transactionId"]
    add("transaction id of another leaf", j, "ERR_PROOF_TX_ID")

    j = copy(base["first"])
    j["transaction"], j["transactionId"] = base["single-leaf"]["transaction"], base["single-leaf"]["transactionId"]
    add("a transaction of another milestone with this one's path", j, "ERR_PROOF_PATH")

    j = copy(base["odd-last-leaf"])
    j["path"]["siblings"][0] = flip(j["path"]["siblings"][0], 0)
    add("path sibling flipped", j, "ERR_PROOF_PATH")

    j = copy(base["applied-transfer"])
    j["path"]["leafIndex"] = 0
    add("leaf index of another leaf (same path length)", j, "ERR_PROOF_PATH")

    j = copy(base["applied-transfer"])
    j["milestone"]["transaction"] = flip(j["milestone"]["transaction"], 200)
    add("milestone byte flipped", j, "ERR_PROOF_MILESTONE")

    j = copy(base["applied-transfer"])
    j["milestone"]["index"] = 2
    add("milestone index of another milestone", j, "ERR_PROOF_MILESTONE")

    # The signature bytes sit at the end of the payload; flipping one and naming the new id.
    j = copy(base["applied-transfer"])
    ms = bytes.fromhex(j["milestone"]["transaction"])
    plen = struct.unpack_from("<I", ms, 38)[0]
    tampered = flip(j["milestone"]["transaction"], 42 + plen - 10)
    j["milestone"]["transaction"], j["milestone"]["id"] = tampered, h256(bytes.fromhex(tampered)).hex()
    add("milestone signature flipped, id recomputed", j, "ERR_PROOF_SIGNATURES")

    j = copy(base["applied-transfer"])
    j["milestone"]["transaction"], j["milestone"]["id"] = resign(w, j["milestone"]["transaction"], [d0])
    add("milestone signed by one member of a 2-of-3 committee", j, "ERR_PROOF_SIGNATURES")

    j = copy(base["applied-transfer"])
    outsider = bytes([0xEE]) * 32
    j["milestone"]["transaction"], j["milestone"]["id"] = resign(w, j["milestone"]["transaction"], [d0, outsider])
    add("milestone signed by a member and a key of no committee", j, "ERR_PROOF_SIGNATURES")

    j = copy(base["after-committee-change"])
    j["committeeChanges"] = []
    add("committee change left out (the new member is no member of the genesis committee)", j, "ERR_PROOF_SIGNATURES")

    j = copy(base["after-committee-change"])
    j["committeeChanges"][0] = flip(j["committeeChanges"][0], 300)
    add("committee change byte flipped", j, "ERR_PROOF_COMMITTEE_CHAIN")

    j = copy(base["first"])
    j["committeeChanges"] = [base["after-committee-change"]["committeeChanges"][0]]
    add("a committee change effective after the milestone", j, "ERR_PROOF_COMMITTEE_CHAIN")

    j = copy(base["after-committee-change"])
    j["committeeChanges"] = [base["milestone-itself"]["transaction"]]
    add("a milestone without a committee change as a change", j, "ERR_PROOF_COMMITTEE_CHAIN")

    add("verified against another network's genesis", copy(base["first"]), "ERR_PROOF_WRONG_NETWORK", genesis="otherGenesis")

    j = copy(base["first"])
    j["ledgerEffect"] = "applied"
    add("ledger effect applied claimed for a data record", j, "ERR_PROOF_MALFORMED")

    j = copy(base["milestone-itself"])
    j["path"] = copy(base["first"]["path"])
    add("a milestone itself with a path", j, "ERR_PROOF_MALFORMED", binary=False)

    j = copy(base["applied-transfer"])
    j["path"]["siblings"] = j["path"]["siblings"][:-1]
    add("path one sibling short", j, "ERR_PROOF_MALFORMED", binary=False)

    # Not covered by any signature (docs/proofs.md): a verifier cannot tell, and says ok.
    j = copy(base["applied-transfer"])
    j["ledgerEffect"], j["conflict"] = "conflicting", "INPUT_SPENT"
    add("ledger effect claimed conflicting for the applied transfer (unverifiable: accepted)", j, "ok")

    binary_only = [
        {"name": "trailing byte", "binaryHex": proof_bytes(base["first"]).hex() + "00", "expect": "ERR_PROOF_MALFORMED"},
        {"name": "magic changed", "binaryHex": "54474951" + proof_bytes(base["first"]).hex()[8:], "expect": "ERR_PROOF_MALFORMED"},
        {"name": "truncated", "binaryHex": proof_bytes(base["first"]).hex()[:-2], "expect": "ERR_PROOF_MALFORMED"},
    ]

    doc = {
        "source": "test/vectors/tools/gen_inclusion_proof_vectors.py: an independent Python implementation of docs/proofs.md (hashlib BLAKE2b, Ed25519 from RFC 8032)",
        "genesis": {"networkId": NETWORK_ID, "committee": genesis_committee},
        "otherGenesis": other_genesis,
        "committeeSeedsHex": [s.hex() for s in COMMITTEE],
        "milestones": [{k: m[k] for k in ("index", "idHex", "merkleRootHex", "includedNames", "includedHex")} for m in w.milestones],
        "valid": valid,
        "tampered": bad,
        "binaryOnly": binary_only,
    }
    out = os.path.join(os.path.dirname(__file__), "..", "inclusion-proof.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
