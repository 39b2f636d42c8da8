/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (machines reading our
 * output never see control characters).
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = Boolean(stream.isTTY) && !process.env.CI;
  }

  /** `fraction` in [0, 1] (clamped); `detail` printed after the bar. */
  update(fraction: number, detail = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 80 && fraction < 1) return;
    this.lastDraw = now;
    const width = 28;
    const f = Math.max(0, Math.min(1, fraction));
    const full = Math.round(f * width);
    const bar = "█".repeat(full) + "░".repeat(width - full);
    this.stream.write(`\r${this.label} ${bar} ${(f * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
  }

  done(detail = ""): void {
    if (!this.enabled) return;
    this.update(1, detail);
    this.stream.write("\n");
  }
}

/** A plain table for people: columns padded to their widest cell; the last (a number) right-aligned. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const last = headers.length - 1;
  const line = (r: string[]) => r.map((c, i) => (i === last ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** 12345678 → "12.3 M". */
export function si(n: number, digits = 2): string {
  const units = ["", " k", " M", " G"];
  let u = 0;
  while (Math.abs(n) >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : digits)}${units[u]}`;
}
