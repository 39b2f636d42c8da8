/**
 * Tables and progress bars fit the terminal: every line at most `columns` characters at 50, 80 and
 * 120 columns; long ids shortened with an ellipsis; amounts in the last column never cut.
 */
import { formatProgress, formatTable, shortId, truncateMiddle } from "../../cli/progress";

const ID = "7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a";
const ADDRESS = "tdev1qpk7zq4g6l0ncs3e8v0h6r9w3k2d8t5m4x7y0a3s9f2g5h8j1k4l6z8x0c2v4";

const tables: [string, string[], string[][]][] = [
  ["wallet balance", ["index", "address", "pending", "confirmed"], [["0", ADDRESS, "", "18446744073709551615"], ["", "total", "", "18446744073709551615"]]],
  ["wallet send", ["transaction", "confirmed", "attachments", "amount"], [[shortId(ID), "milestone 12345", "2", "1000000000000"]]],
  ["gateway publish", ["stream", "sequence", "record", "readings"], [[shortId(ID, 16), "4294967295", ID, "1"]]],
  ["stream verify", ["seq", "record", "readings", "confirmed", "check"], [["0", shortId(ID, 16), "1", "milestone 123456", "PROBLEM"]]],
  ["address balance", ["address", "confirmed", "pending in", "pending out"], [[ADDRESS, "18446744073709551615", "18446744073709551615", "18446744073709551615"]]],
];

describe.each([50, 80, 120])("at %i columns", (columns) => {
  test.each(tables)("%s table: every line fits; amounts whole; cut cells end or middle in an ellipsis", (_name, headers, rows) => {
    const text = formatTable(headers, rows, columns);
    const lines = text.split("\n");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
    // Amounts (all-digit cells) are never shortened; the last column neither.
    for (const r of rows) for (const cell of r) if (/^\d+$/.test(cell)) expect(text).toContain(cell);
    for (const r of rows) expect(text).toContain(r[r.length - 1]);
    // Whatever was cut shows an ellipsis in its place, with its start and end.
    for (const r of rows) {
      for (const cell of r) {
        if (cell && !text.includes(cell)) {
          const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          expect(text).toMatch(new RegExp(cell.endsWith("…") ? `${esc(cell.slice(0, 2))}\\S*…` : `${esc(cell.slice(0, 2))}\\S*…\\S*${esc(cell.slice(-1))}`));
        }
      }
    }
    // Every header is there, as a table heading or as a row label.
    for (const h of headers) expect(text).toContain(h);
  });

  test("progress lines fit (one column is left for the cursor) at 0%, 50% and 100%, with long details", () => {
    for (const fraction of [0, 0.5, 1, NaN, 7]) {
      for (const detail of ["", "16 bits", `milestone 123456 passed without confirming it (12 since it was attached) ${ID}`]) {
        const line = formatProgress("proof of work ", fraction, detail, columns);
        expect(line.length).toBeLessThanOrEqual(columns - 1);
        expect(line.startsWith("proof of work ")).toBe(true);
        expect(line).toMatch(/\d+%/);
      }
    }
  });
});

test("a wide terminal keeps every cell whole; no width (a pipe) never cuts", () => {
  const [, headers, rows] = tables[0];
  for (const text of [formatTable(headers, rows, 200), formatTable(headers, rows)]) expect(text).toContain(ADDRESS);
});

test("truncateMiddle keeps both ends", () => {
  expect(truncateMiddle(ID, 11)).toBe(`${ID.slice(0, 5)}…${ID.slice(-5)}`);
  expect(truncateMiddle("short", 11)).toBe("short");
});
