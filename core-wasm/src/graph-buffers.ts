/**
 * The typed-array views of the graph's two static WASM buffers: parents go in through `input`,
 * lists (parents, approvers, tips, walk results) come out through `output`. Only integers cross
 * the boundary and the hot paths allocate nothing: the views are built once and rebuilt only if
 * the memory grew (it grows only when the graph is initialised, but stay safe).
 */
import type { CoreExports } from "./module";

/** Most parents a transaction has (the protocol's limit; the input buffer's size). */
export const MAX_PARENTS = 8;

export class GraphBuffers {
  private input!: Uint32Array;
  private output!: Uint32Array;
  /** Entries the output buffer holds. */
  readonly outputCap: number;

  constructor(
    private readonly ex: CoreExports,
    private readonly memory: WebAssembly.Memory,
  ) {
    this.outputCap = ex.graph_outputCapacity();
  }

  /** Builds the views over the buffers as WASM placed them (after every graph_init). */
  refresh(): void {
    const buf = this.memory.buffer;
    this.input = new Uint32Array(buf, this.ex.graph_inputPtr() >>> 0, MAX_PARENTS);
    this.output = new Uint32Array(buf, this.ex.graph_outputPtr() >>> 0, this.outputCap);
  }

  /** Views go stale if the memory grows. */
  private views(): void {
    if (this.input.buffer !== this.memory.buffer) this.refresh();
  }

  /** Writes parent seqs to the input buffer; returns how many. */
  writeParents(parents: ArrayLike<number>): number {
    const n = parents.length;
    if (n > MAX_PARENTS) throw new RangeError(`at most ${MAX_PARENTS} parents, got ${n}`);
    this.views();
    const input = this.input;
    for (let i = 0; i < n; i++) input[i] = parents[i];
    return n;
  }

  /** The first `n` output entries as a new array. */
  list(n: number): number[] {
    this.views();
    return Array.from(this.output.subarray(0, n));
  }

  /** Copies the first `n` output entries into `out` from `offset` on (no allocation). */
  copyInto(out: Uint32Array | number[], n: number, offset = 0): void {
    this.views();
    const o = this.output;
    for (let i = 0; i < n; i++) out[offset + i] = o[i];
  }
}
