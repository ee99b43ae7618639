/**
 * A log, drawn a screenful at a time: rows have one fixed height, so the row under any scroll
 * position is a division away (or, with long lines wrapped, a binary search over the lines'
 * tops), and only the rows in view (plus a margin) exist in the DOM. While `follow` is on it
 * sticks to the end as lines arrive; scrolling up turns that off and scrolling back to the end
 * turns it on again. Colours the program printed (ANSI SGR) are shown; other escapes dropped.
 */
import { type ComponentChildren, Fragment } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { AnsiCarry, type AnsiStyle, isPlain, parseAnsi, segmentAttrs, stripAnsi } from "../lib/ansi";
import { formatClock } from "../lib/format";
import { parseLogLine } from "../lib/logline";
import { splitOnMatches } from "../lib/logsearch";
import { displayWidth, WrapLayout } from "../lib/wrap";

export const ROW_HEIGHT = 20;
const OVERSCAN = 20;
const PADDING = 6;

interface Props {
  lines: string[];
  /** Changes whenever `lines` grew. */
  version: number;
  label: string;
  startAtEnd: boolean;
  height?: number;
  /** Text to mark in the visible rows. */
  query?: string;
  /** A line to bring into view (a new `nonce` brings it again). */
  target?: { line: number; nonce: number } | undefined;
  /** Wrap long lines instead of scrolling sideways. */
  wrap?: boolean;
  /** Show the lines' times in UTC instead of local time. */
  utc?: boolean;
}

/** The text of a line with its colours, and the search matches marked (over the visible text). */
function LineText({ text, query, start }: { text: string; query: string; start: AnsiStyle }) {
  const { segments } = parseAnsi(text, start);
  const out: ComponentChildren[] = [];
  segments.forEach((seg, k) => {
    const body = query
      ? splitOnMatches(seg.text, query).map((p, j) => (p.match ? <mark key={j}>{p.text}</mark> : p.text))
      : seg.text;
    if (isPlain(seg.style)) out.push(<Fragment key={k}>{body}</Fragment>);
    else {
      const a = segmentAttrs(seg.style);
      out.push(
        <span key={k} class={a.class || undefined} style={a.style}>
          {body}
        </span>,
      );
    }
  });
  return <span class="log-text">{out}</span>;
}

const lineText = (raw: string) => parseLogLine(raw).text;

function lineWidth(raw: string): number {
  return displayWidth(stripAnsi(parseLogLine(raw).text));
}

export function LogViewer({ lines, version, label, startAtEnd, height = 420, query = "", target, wrap = false, utc = false }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const probe = useRef<HTMLSpanElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(height);
  const [cols, setCols] = useState(0);
  const [follow, setFollow] = useState(startAtEnd);
  const followRef = useRef(startAtEnd);
  const frame = useRef(0);

  const count = lines.length;
  const layout = useMemo(() => new WrapLayout(lineWidth), [wrap]);
  const carry = useMemo(() => new AnsiCarry(lineText), []);
  if (wrap && cols > 0) layout.update(lines, cols);
  const wrapped = wrap && cols > 0;
  const totalRows = wrapped ? layout.totalRows : count;
  const total = totalRows * ROW_HEIGHT;
  // A short log gets a short box; a long one scrolls inside `height`.
  const boxHeight = Math.min(height, Math.max(total + 2 * PADDING, 3 * ROW_HEIGHT));
  const overflowing = total + 2 * PADDING > boxHeight;

  // The column width in characters: where the text of a row starts, and one character's width.
  const measure = () => {
    const el = box.current;
    const p = probe.current;
    if (!el || !p) return;
    const charWidth = p.getBoundingClientRect().width / 10 || 7.5;
    const left = p.offsetLeft;
    setCols(Math.max(10, Math.floor((el.clientWidth - left - 18) / charWidth)));
  };

  useLayoutEffect(() => {
    if (wrap) measure();
  }, [wrap]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setViewHeight(el.clientHeight || boxHeight);
    if (followRef.current) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [version, count, cols, wrap]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !target) return;
    followRef.current = false;
    setFollow(false);
    const row = wrapped ? layout.top(target.line) : target.line;
    el.scrollTop = Math.max(0, row * ROW_HEIGHT - el.clientHeight / 2 + ROW_HEIGHT);
    setScrollTop(el.scrollTop);
  }, [target?.nonce]);

  const wrapRef = useRef(wrap);
  wrapRef.current = wrap;
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      setViewHeight(el.clientHeight);
      if (wrapRef.current) measure();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 1.5;
    if (atEnd !== followRef.current) {
      followRef.current = atEnd;
      setFollow(atEnd);
    }
    if (!frame.current) {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        if (box.current) setScrollTop(box.current.scrollTop);
      });
    }
  };

  const jumpToEnd = () => {
    const el = box.current;
    if (!el) return;
    followRef.current = true;
    setFollow(true);
    el.scrollTop = el.scrollHeight;
  };

  const firstRow = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const lastRow = Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN;
  const first = wrapped ? layout.lineAt(firstRow) : Math.min(count, firstRow);
  const last = wrapped ? Math.min(count, layout.lineAt(lastRow) + 1) : Math.min(count, lastRow);
  const rows = [];
  for (let i = first; i < last; i++) {
    const line = parseLogLine(lines[i] ?? "");
    let cls = line.truncation ? "log-row log-row--truncation" : `log-row log-row--${line.stream}`;
    if (target && target.line === i) cls += " log-row--target";
    const top = (wrapped ? layout.top(i) : i) * ROW_HEIGHT;
    const style: Record<string, string> = { top: `${top}px` };
    if (wrapped) style.height = `${layout.rows(i) * ROW_HEIGHT}px`;
    const tag = line.stream !== "stdout" && (
      <span class="log-tag">{line.truncation ? "cut" : line.stream === "system" ? "pulse" : line.stream}</span>
    );
    rows.push(
      <div key={i} class={cls} style={style} data-line={i + 1}>
        <span class="log-no" aria-hidden="true">
          {i + 1}
        </span>
        <span class="log-ts" title={line.ts ?? undefined}>
          {line.ts ? formatClock(line.ts, utc) : ""}
        </span>
        {wrap ? <span class="log-slot">{tag}</span> : tag}
        <LineText text={line.text} query={query} start={carry.startOf(lines, i)} />
      </div>,
    );
  }

  return (
    <div class="log-frame">
      <div
        ref={box}
        class={wrap ? "log-body log-body--wrap" : "log-body"}
        style={{ height: `${boxHeight}px` }}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label={label}
        data-lines={count}
        data-wrap={wrap ? "true" : undefined}
      >
        <div class="log-spacer" style={{ height: `${total}px` }}>
          {wrap && (
            <div class="log-row log-probe" aria-hidden="true">
              <span class="log-no" />
              <span class="log-ts" />
              <span class="log-slot" />
              <span ref={probe} class="log-text">
                0000000000
              </span>
            </div>
          )}
          {rows}
        </div>
      </div>
      {!follow && overflowing && (
        <button type="button" class="btn btn--small log-jump" onClick={jumpToEnd}>
          ↓ Follow the end
        </button>
      )}
    </div>
  );
}
