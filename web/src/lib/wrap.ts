/**
 * Where each line of a log sits when long lines wrap: a line of n characters in a column of c
 * takes ceil(n / c) rows of the fixed row height, and a running sum of those gives each line's
 * top, so the virtualised viewer still finds the line under a scroll position by a binary
 * search. Built incrementally as a live log grows; rebuilt when the column width changes.
 */

/** How many columns a line takes in a monospace font (tabs to the next multiple of 8). */
export function displayWidth(text: string): number {
  if (!text.includes("\t")) return text.length;
  let col = 0;
  for (const ch of text) col = ch === "\t" ? col + 8 - (col % 8) : col + 1;
  return col;
}

export class WrapLayout {
  private cols = 0;
  private source: readonly string[] | null = null;
  /** tops[i]: the rows above line i; tops has one more entry than there are lines. */
  private tops: number[] = [0];

  constructor(private readonly widthOf: (line: string) => number) {}

  /** Bring the layout up to `lines` in a column `cols` characters wide. */
  update(lines: readonly string[], cols: number): void {
    const c = Math.max(1, Math.floor(cols));
    // Another array is another log (fetched again); the same array only ever grows.
    if (c !== this.cols || lines !== this.source || lines.length < this.tops.length - 1) {
      this.cols = c;
      this.source = lines;
      this.tops = [0];
    }
    let top = this.tops[this.tops.length - 1] ?? 0;
    for (let i = this.tops.length - 1; i < lines.length; i++) {
      top += Math.max(1, Math.ceil(this.widthOf(lines[i] ?? "") / c));
      this.tops.push(top);
    }
  }

  get lineCount(): number {
    return this.tops.length - 1;
  }

  /** Rows in all. */
  get totalRows(): number {
    return this.tops[this.tops.length - 1] ?? 0;
  }

  /** The first row of line `i`. */
  top(i: number): number {
    return this.tops[Math.max(0, Math.min(i, this.tops.length - 1))] ?? 0;
  }

  /** The rows line `i` takes. */
  rows(i: number): number {
    return this.top(i + 1) - this.top(i);
  }

  /** The line that holds row `row`. */
  lineAt(row: number): number {
    let lo = 0;
    let hi = this.lineCount - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.tops[mid] ?? 0) <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
