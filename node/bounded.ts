/**
 * Bounded collections that forget their oldest entries (insertion order, not recency: a read does
 * not keep an entry). One type for the node's caches (decoded transactions) and the peering's
 * recent-id filters, so the eviction rule is written once.
 */

/**
 * Optional second bound: the sum of the entries' weights (an estimate of the heap each holds), so
 * a cache of values whose sizes differ a hundredfold is bounded in bytes as well as in count.
 */
export interface WeightBound<V> {
  maxWeight: number;
  weight: (value: V) => number;
}

/**
 * A map of at most `limit` entries (and, with a weight bound, at most `maxWeight` of summed weight);
 * adding a new key to a full map drops the oldest keys until the new one fits. One entry heavier
 * than the whole bound is still kept, alone.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly weights = new Map<K, number>();
  private total = 0;

  constructor(
    readonly limit: number,
    private readonly bound?: WeightBound<V>,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    if (bound && !(bound.maxWeight > 0)) throw new RangeError(`maxWeight must be positive, got ${bound.maxWeight}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The summed weight of the entries (0 without a weight bound). */
  get weight(): number {
    return this.total;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /**
   * Sets `key`. An existing key keeps its age: it is replaced in place and nothing is evicted for
   * it, though its new weight counts.
   */
  set(key: K, value: V): void {
    const w = this.bound ? this.bound.weight(value) : 0;
    if (this.map.has(key)) {
      this.total += w - (this.weights.get(key) ?? 0);
      if (this.bound) this.weights.set(key, w);
      this.map.set(key, value);
      return;
    }
    while (this.map.size > 0 && (this.map.size >= this.limit || (this.bound && this.total + w > this.bound.maxWeight))) {
      this.delete(this.map.keys().next().value as K);
    }
    this.map.set(key, value);
    if (this.bound) {
      this.weights.set(key, w);
      this.total += w;
    }
  }

  delete(key: K): void {
    if (!this.map.delete(key)) return;
    if (this.bound) {
      this.total -= this.weights.get(key) ?? 0;
      this.weights.delete(key);
    }
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
