/**
 * Output for people: a one-line progress bar on stderr (drawn only when stderr is a terminal, so
 * machines reading our output never see control characters) and plain tables. Both fit the
 * terminal's width: the bar shrinks and its detail is cut with an ellipsis; table cells are
 * shortened with an ellipsis in the middle (ids keep their recognisable start and end), widest
 * column first, until every line fits.
 */

/** Narrowest width we lay out for; below it lines may wrap. */
export const MIN_COLUMNS = 40;

/** The width to lay out for on `stream` (stdout by default); unlimited when it is not a terminal
 * (a pipe or a file keeps every cell whole). */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number {
  if (!stream.isTTY) return Infinity;
  const c = stream.columns;
  return typeof c === "number" && c > 0 ? Math.max(MIN_COLUMNS, c) : 80;
}

/** `text` cut to at most `max` characters, ending in "…" when cut. */
export function truncateEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? "…".slice(0, max) : `${text.slice(0, max - 1)}…`;
}

/** `text` cut to at most `max` characters in the middle ("0a1b2c…9f8e"), so both ends stay readable. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return "…".slice(0, max);
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** A hex id shortened for tables: its first `chars` characters and an ellipsis. */
export const shortId = (id: string, chars = 12): string => (id.length > chars ? `${id.slice(0, chars)}…` : id);

/** The progress line for `fraction` in [0, 1], at most `columns - 1` characters (no wrap). */
export function formatProgress(label: string, fraction: number, detail: string, columns: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const pct = `${(f * 100).toFixed(0).padStart(3)}%`;
  const room = columns - 1;
  // label, bar, percent, detail: the bar takes up to 28 cells and gives way first to the detail.
  const fixed = label.length + 1 + 1 + pct.length;
  const barWidth = Math.max(5, Math.min(28, room - fixed - Math.min(detail.length + 1, 24)));
  const full = Math.round(f * barWidth);
  const head = `${label} ${"█".repeat(full)}${"░".repeat(barWidth - full)} ${pct}`;
  const line = detail ? `${head} ${detail}` : head;
  return truncateEnd(line, room);
}

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
    this.stream.write(`\r${formatProgress(this.label, fraction, detail, terminalColumns(this.stream))}\x1b[K`);
  }

  done(detail = ""): void {
    if (!this.enabled) return;
    this.update(1, detail);
    this.stream.write("\n");
  }
}

/**
 * A plain table for people: columns padded to their widest cell; the last right-aligned (a number
 * or a status). With `columns`, every line fits in that many characters: the widest text cells are
 * shortened (in the middle, with "…") until it does. Numbers are never cut: when they alone are
 * too wide, each row is printed as a block of "header  value" lines instead.
 */
export function formatTable(headers: string[], rows: (string | number)[][], columns = Infinity): string {
  const cells = [headers, ...rows.map((r) => headers.map((_, i) => String(r[i] ?? "")))];
  const last = headers.length - 1;
  const gap = 2;
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * last;
  // A column keeps at least its header (and 6 characters); numeric columns and the last column
  // are kept whole.
  const numeric = headers.map((_, i) => cells.slice(1).every((r) => /^[\d.,+-]*$/.test(r[i])));
  const floor = headers.map((h, i) => (i === last || numeric[i] ? widths[i] : Math.min(widths[i], Math.max(6, h.length))));
  while (total() > columns) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
    if (widest < 0) return formatRecords(headers, cells.slice(1), columns);
    widths[widest]--;
  }
  // A cell already cut at its end (a short id) is cut further at its end.
  const fit = (c: string, i: number) => (c.endsWith("…") ? truncateEnd(c, widths[i]) : truncateMiddle(c, widths[i]));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === last ? fit(c, i).padStart(widths[i]) : fit(c, i).padEnd(widths[i])))
      .join(" ".repeat(gap))
      .replace(/\s+$/, "");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join(" ".repeat(gap)), ...cells.slice(1).map(line)].join("\n");
}

/** The narrow-terminal layout: one "header  value" line per cell, rows separated by a rule. */
function formatRecords(headers: string[], rows: string[][], columns: number): string {
  const keyWidth = Math.max(...headers.map((h) => h.length));
  const room = Math.max(1, columns - keyWidth - 2);
  const rule = "-".repeat(Math.min(columns, keyWidth + 2 + Math.max(...rows.flat().map((c) => c.length), 1)));
  return rows.map((r) => [rule, ...r.map((c, i) => `${headers[i].padEnd(keyWidth)}  ${truncateMiddle(c, room)}`.replace(/\s+$/, ""))].join("\n")).join("\n");
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
