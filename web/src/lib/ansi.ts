/**
 * ANSI escape sequences in captured output. Programs colour their output (`ls --color`, test
 * runners, loggers); the log shows SGR colours and weights as styled spans and drops every other
 * sequence (cursor moves, erasing, window titles), which mean nothing in a stored log.
 */

export interface AnsiStyle {
  /** A palette index (0-15) or a CSS colour ("#rrggbb"). */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

// CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), DCS/SOS/PM/APC strings (ESC P|X|^|_ …
// ESC \), two- and three-byte escapes (ESC 7, ESC ( B), the 8-bit CSI (U+009B), and stray
// control characters other than tab.
const SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\x1b\[([0-?]*)[ -/]*([@-~])|\x9b([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)|\x1b[PX^_][^\x1b]*(?:\x1b\\|$)|\x1b[ -/]*[0-~]?|[\x00-\x08\x0b-\x1f\x7f]/g;

/** The text without any escape sequence or control character (tabs kept). */
export function stripAnsi(text: string): string {
  // Most lines have no escape at all: skip the regex then.
  if (!hasControl(text)) return text;
  return text.replace(SEQUENCE, "");
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f\x9b]/;

function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

function xterm256(n: number): number | string {
  if (n < 16) return n;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return hex(v, v, v);
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return hex(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
}

function hex(r: number, g: number, b: number): string {
  const h = (x: number) => Math.max(0, Math.min(255, x)).toString(16).padStart(2, "0");
  return `#${h(r)}${h(g)}${h(b)}`;
}

/** The style after applying one SGR sequence's parameters (`"1;31"`) to `style`. */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let s: AnsiStyle = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) {
      delete s.bold;
      delete s.dim;
    } else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c === 27) delete s.inverse;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) {
      // 38;5;n (256 colours) or 38;2;r;g;b (truecolour); a malformed one ends the sequence.
      const mode = codes[i + 1];
      let colour: number | string | undefined;
      if (mode === 5 && codes[i + 2] !== undefined) {
        colour = xterm256((codes[i + 2] ?? 0) & 255);
        i += 2;
      } else if (mode === 2 && codes[i + 4] !== undefined) {
        colour = hex(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      } else {
        break;
      }
      if (c === 38) s.fg = colour;
      else s.bg = colour;
    }
  }
  return s;
}

/**
 * The text as runs of one style each, escape sequences removed. `initial` is the style in force
 * at the start (a colour may span lines); the style at the end is returned beside.
 */
export function parseAnsi(text: string, initial: AnsiStyle = {}): { segments: AnsiSegment[]; end: AnsiStyle } {
  if (!hasControl(text)) return { segments: text ? [{ text, style: initial }] : [], end: initial };
  const segments: AnsiSegment[] = [];
  let style = initial;
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = segments[segments.length - 1];
    if (prev && prev.style === style) prev.text += t;
    else segments.push({ text: t, style });
  };
  SEQUENCE.lastIndex = 0;
  for (let m = SEQUENCE.exec(text); m; m = SEQUENCE.exec(text)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const final = m[2] ?? m[4];
    if (final === "m") style = applySgr(style, m[1] ?? m[3] ?? "");
    if (m[0].length === 0) SEQUENCE.lastIndex++;
  }
  push(text.slice(last));
  return { segments, end: style };
}

/** Whether a style changes anything (a plain segment needs no span). */
export function isPlain(style: AnsiStyle): boolean {
  return Object.keys(style).length === 0;
}

/** The class names and inline style of a segment: palette colours by class (themable), others inline. */
export function segmentAttrs(style: AnsiStyle): { class: string; style: Record<string, string> } {
  const classes: string[] = [];
  const css: Record<string, string> = {};
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) {
    [fg, bg] = [bg ?? "inverse-fg", fg ?? "inverse-bg"];
  }
  // Bold makes the eight basic colours bright, as terminals do.
  if (style.bold && typeof fg === "number" && fg < 8) fg += 8;
  if (typeof fg === "number") classes.push(`ansi-fg-${fg}`);
  else if (fg === "inverse-fg") classes.push("ansi-fg-inverse");
  else if (fg) css.color = fg;
  if (typeof bg === "number") classes.push(`ansi-bg-${bg}`);
  else if (bg === "inverse-bg") classes.push("ansi-bg-inverse");
  else if (bg) css["background-color"] = bg;
  if (style.bold) classes.push("ansi-bold");
  if (style.dim) classes.push("ansi-dim");
  if (style.italic) classes.push("ansi-italic");
  if (style.underline) classes.push("ansi-underline");
  return { class: classes.join(" "), style: css };
}

/**
 * The style in force at the start of each line of a log, for colours a program opens on one line
 * and closes on a later one. Built incrementally as a live log grows (a line without an escape
 * costs one scan for control characters); another array is another log and starts over.
 */
export class AnsiCarry {
  private source: readonly string[] | null = null;
  /** starts[i]: the style at the start of line i (shared objects; {} when plain). */
  private starts: AnsiStyle[] = [];
  private end: AnsiStyle = {};

  constructor(private readonly textOf: (line: string) => string = (l) => l) {}

  /** The style at the start of line `i` of `lines`. */
  startOf(lines: readonly string[], i: number): AnsiStyle {
    if (lines !== this.source || lines.length < this.starts.length) {
      this.source = lines;
      this.starts = [];
      this.end = {};
    }
    for (let j = this.starts.length; j <= i && j < lines.length; j++) {
      this.starts.push(this.end);
      const raw = lines[j] ?? "";
      // Most lines have no escape at all: one native scan of the raw line tells.
      if (hasControl(raw)) {
        const text = this.textOf(raw);
        if (hasControl(text)) this.end = parseAnsi(text, this.end).end;
      }
    }
    return this.starts[i] ?? {};
  }
}
