#!/usr/bin/env python3
"""Independent generator of the ledger root vectors (test/vectors/ledger-root.json).

Written from docs/ledger.md ("Ledger root") alone, in another language than the TypeScript tree,
with Python's own BLAKE2b (hashlib) and the recursive definition of the root read literally (no
incremental tree), so the vectors do not come from the code they test.
Run: python3 test/vectors/tools/gen_ledger_root_vectors.py

It writes: the empty ledger's root; a small ledger of unspent outputs (each with its entry key and
value, leaf key and value hash) and its root, two of whose leaf keys share their first 12 bits (a
chain of nodes with an empty side); proofs in byte and JSON form for present outputs and for
absent ones (a path ending at an empty subtree and one ending at another output's leaf); and the
root after a milestone that spends two outputs and creates two.
"""
import hashlib
import json
import os


def H(data):
    return hashlib.blake2b(data, digest_size=32).digest()


EMPTY = H(bytes([0x00]))


def entry_key(tx_id, index):
    return bytes([0x01]) + tx_id + bytes([index])


def entry_value(address, amount):
    return address + amount.to_bytes(8, "little")


def bit(key, i):
    return (key[i // 8] >> (7 - i % 8)) & 1


def leaf_hash(k, v):
    return H(bytes([0x01]) + k + v)


def node_hash(left, right):
    return H(bytes([0x02]) + left + right)


def T(leaves, d):
    """Root of the subtree of `leaves` ((leaf key, value hash) pairs sharing their first d bits)."""
    if not leaves:
        return EMPTY
    if len(leaves) == 1:
        return leaf_hash(*leaves[0])
    return node_hash(T([e for e in leaves if bit(e[0], d) == 0], d + 1), T([e for e in leaves if bit(e[0], d) == 1], d + 1))


def prove(leaves, key):
    """Siblings from the root down (None = empty subtree) and the leaf the path ends at (or None)."""
    siblings = []
    s = leaves
    d = 0
    while len(s) >= 2:
        zero = [e for e in s if bit(e[0], d) == 0]
        one = [e for e in s if bit(e[0], d) == 1]
        mine, other = (zero, one) if bit(key, d) == 0 else (one, zero)
        siblings.append(T(other, d + 1) if other else None)
        s = mine
        d += 1
    return siblings, (s[0] if s else None)


def proof_bytes(siblings, leaf):
    out = bytearray([1, 1 if leaf else 0])
    if leaf:
        out += leaf[0] + leaf[1]
    d = len(siblings)
    out += d.to_bytes(2, "little")
    bitmap = bytearray((d + 7) // 8)
    for i, s in enumerate(siblings):
        if s is not None:
            bitmap[i // 8] |= 0x80 >> (i % 8)
    out += bitmap
    for s in siblings:
        if s is not None:
            out += s
    return bytes(out)


def proof_json(siblings, leaf):
    return {
        "format": 1,
        "siblings": [None if s is None else s.hex() for s in siblings],
        "leaf": None if leaf is None else {"key": leaf[0].hex(), "valueHash": leaf[1].hex()},
    }


def output(tx_id, index, address, amount):
    k, v = entry_key(tx_id, index), entry_value(address, amount)
    return {
        "txId": tx_id,
        "index": index,
        "address": address,
        "amount": amount,
        "entryKey": k,
        "entryValue": v,
        "leafKey": H(k),
        "valueHash": H(v),
    }


def out_json(o):
    return {
        "txIdHex": o["txId"].hex(),
        "index": o["index"],
        "addressHex": o["address"].hex(),
        "amount": str(o["amount"]),
        "entryKeyHex": o["entryKey"].hex(),
        "entryValueHex": o["entryValue"].hex(),
        "leafKeyHex": o["leafKey"].hex(),
        "valueHashHex": o["valueHash"].hex(),
    }


def leaves_of(outputs):
    return [(o["leafKey"], o["valueHash"]) for o in outputs]


def main():
    outputs = [output(H(b"ledger-root-vector-tx" + bytes([i])), i % 3, H(b"ledger-root-vector-address" + bytes([i % 4])), 1000 * (i + 1)) for i in range(8)]
    outputs.append(output(H(b"ledger-root-vector-tx-max"), 127, H(b"ledger-root-vector-address-max"), 0xFEDCBA9876540000))
    # An output whose leaf key shares its first 12 bits with output 0's: a chain under them.
    j = 0
    while True:
        o = output(H(b"ledger-root-vector-chain" + j.to_bytes(4, "little")), 0, H(b"ledger-root-vector-address" + bytes([1])), 77)
        if all(bit(o["leafKey"], i) == bit(outputs[0]["leafKey"], i) for i in range(12)):
            break
        j += 1
    outputs.append(o)
    leaves = leaves_of(outputs)
    root = T(leaves, 0)

    proofs = []
    for o in (outputs[0], outputs[-1], outputs[3]):
        sib, leaf = prove(leaves, o["leafKey"])
        assert leaf is not None and leaf[0] == o["leafKey"]
        proofs.append({"what": "present", "txIdHex": o["txId"].hex(), "index": o["index"], "present": True, "bytesHex": proof_bytes(sib, leaf).hex(), "json": proof_json(sib, leaf)})
    found = {"empty": None, "other-leaf": None}
    k = 0
    while None in found.values():
        tx_id = H(b"ledger-root-vector-absent" + k.to_bytes(4, "little"))
        key = H(entry_key(tx_id, 0))
        sib, leaf = prove(leaves, key)
        kind = "empty" if leaf is None else "other-leaf"
        if found[kind] is None:
            found[kind] = {"what": "absent, path ends at " + ("an empty subtree" if leaf is None else "another output's leaf"), "txIdHex": tx_id.hex(), "index": 0, "present": False, "bytesHex": proof_bytes(sib, leaf).hex(), "json": proof_json(sib, leaf)}
        k += 1
    proofs += [found["empty"], found["other-leaf"]]

    # A milestone: outputs 1 and 2 spent, two outputs created.
    created = [output(H(b"ledger-root-vector-new"), i, H(b"ledger-root-vector-address" + bytes([2])), 500 + i) for i in range(2)]
    after = [o for i, o in enumerate(outputs) if i not in (1, 2)] + created
    doc = {
        "about": "Ledger root vectors, written by test/vectors/tools/gen_ledger_root_vectors.py from docs/ledger.md (Ledger root) alone: hashlib's BLAKE2b-256 and the recursive definition.",
        "emptyRootHex": EMPTY.hex(),
        "outputs": [out_json(o) for o in outputs],
        "rootHex": root.hex(),
        "chainSharedBits": 12,
        "proofs": proofs,
        "milestone": {
            "spent": [{"txIdHex": outputs[i]["txId"].hex(), "index": outputs[i]["index"]} for i in (1, 2)],
            "created": [out_json(o) for o in created],
            "rootAfterHex": T(leaves_of(after), 0).hex(),
        },
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ledger-root.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
