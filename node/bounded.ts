/**
 * Bounded collections that forget their oldest entries (insertion order, not recency: a read does
 * not keep an entry). One type for the node's caches (decoded transactions) and the peering's
 * recent-id filters, so the eviction rule is written once.
 */

/** A map of at most `limit` entries; adding a new key to a full map drops the oldest key. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Sets `key` (an existing key keeps its age: it is replaced in place, nothing is evicted). */
  set(key: K, value: V): void {
    if (!this.map.has(key) && this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}

/** A set of at most `limit` members; adding a new member to a full set drops the oldest. */
export class BoundedSet<K = string> {
  private readonly map: BoundedMap<K, true>;

  constructor(limit: number) {
    this.map = new BoundedMap<K, true>(limit);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Adds `key`; a member already present keeps its age. */
  add(key: K): void {
    this.map.set(key, true);
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}
