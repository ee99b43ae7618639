/**
 * A log, drawn a screenful at a time: rows have one fixed height, so the row under any scroll
 * position is a division away, and only the rows in view (plus a margin) exist in the DOM.
 * While `follow` is on it sticks to the end as lines arrive; scrolling up turns that off and
 * scrolling back to the end turns it on again.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatClock } from "../lib/format";
import { parseLogLine } from "../lib/logline";
import { splitOnMatches } from "../lib/logsearch";

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
}

export function LogViewer({ lines, version, label, startAtEnd, height = 420, query = "", target }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(height);
  const [follow, setFollow] = useState(startAtEnd);
  const followRef = useRef(startAtEnd);
  const frame = useRef(0);

  const count = lines.length;
  const total = count * ROW_HEIGHT;
  // A short log gets a short box; a long one scrolls inside `height`.
  const boxHeight = Math.min(height, Math.max(total + 2 * PADDING, 3 * ROW_HEIGHT));
  const overflowing = total + 2 * PADDING > boxHeight;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setViewHeight(el.clientHeight || boxHeight);
    if (followRef.current) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [version, count]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !target) return;
    followRef.current = false;
    setFollow(false);
    el.scrollTop = Math.max(0, target.line * ROW_HEIGHT - el.clientHeight / 2 + ROW_HEIGHT);
    setScrollTop(el.scrollTop);
  }, [target?.nonce]);

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setViewHeight(el.clientHeight));
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

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const line = parseLogLine(lines[i] ?? "");
    let cls = line.truncation ? "log-row log-row--truncation" : `log-row log-row--${line.stream}`;
    if (target && target.line === i) cls += " log-row--target";
    rows.push(
      <div key={i} class={cls} style={{ top: `${i * ROW_HEIGHT}px` }} data-line={i + 1}>
        <span class="log-no" aria-hidden="true">
          {i + 1}
        </span>
        <span class="log-ts" title={line.ts ?? undefined}>
          {line.ts ? formatClock(line.ts) : ""}
        </span>
        {line.stream !== "stdout" && <span class="log-tag">{line.truncation ? "cut" : line.stream === "system" ? "pulse" : line.stream}</span>}
        <span class="log-text">
          {query
            ? splitOnMatches(line.text, query).map((p, k) => (p.match ? <mark key={k}>{p.text}</mark> : p.text))
            : line.text}
        </span>
      </div>,
    );
  }

  return (
    <div class="log-frame">
      <div
        ref={box}
        class="log-body"
        style={{ height: `${boxHeight}px` }}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label={label}
        data-lines={count}
      >
        <div class="log-spacer" style={{ height: `${total}px` }}>
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
