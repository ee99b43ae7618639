/** A uPlot chart as a Preact component: made when mounted, fed new data, resized with its box. */
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import type { StatsPeriod } from "../../api/stats";
import type { Columns } from "../../lib/stats";
import type { ChartColours, ChartKind } from "./plot";

interface Props {
  kind: ChartKind;
  columns: Columns;
  period: StatsPeriod;
  /** What the chart shows, in a sentence: the chart is an image to a screen reader. */
  label: string;
  height?: number;
  onHover?: (index: number | null) => void;
}

const DARK = "(prefers-color-scheme: dark)";

/** "dark" or "light", following the system as the stylesheet does. */
export function useColourScheme(): "dark" | "light" {
  const query = typeof matchMedia === "function" ? matchMedia(DARK) : null;
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const update = () => setDark(query.matches);
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, []);
  return dark ? "dark" : "light";
}

function readColours(el: HTMLElement): ChartColours {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    completed: v("--chart-completed", "#16a34a"),
    failed: v("--chart-failed", "#dc2626"),
    line: v("--chart-line", "#7c3aed"),
    reference: v("--chart-reference", "#8b8b9c"),
    grid: v("--chart-grid", "#e3e3e8"),
    axis: v("--chart-axis", "#5d5d6c"),
  };
}

export function Chart({ kind, columns, period, label, height = 180, onHover }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useColourScheme();
  const latest = useRef({ columns, onHover });
  latest.current = { columns, onHover };

  // Made anew when what the options depend on changes (a colour scheme, a period); new data
  // alone only goes through setData.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let observer: ResizeObserver | undefined;
    void import("./plot").then(({ createPlot }) => {
      if (gone) return;
      try {
        plot.current = createPlot({
          kind,
          el,
          width: el.clientWidth || 600,
          height,
          columns: latest.current.columns,
          period,
          colours: readColours(el),
          onHover: (i) => latest.current.onHover?.(i),
        });
      } catch {
        // No canvas to draw on (a test's DOM): the text alternative still says it all.
        return;
      }
      if (typeof ResizeObserver === "function") {
        observer = new ResizeObserver(() => {
          const w = el.clientWidth;
          if (w > 0 && plot.current && Math.abs(plot.current.width - w) > 1) plot.current.setSize({ width: w, height });
        });
        observer.observe(el);
      }
    });
    return () => {
      gone = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [kind, period, height, scheme]);

  useEffect(() => {
    plot.current?.setData(columns as uPlot.AlignedData);
  }, [columns]);

  return (
    <div
      ref={box}
      class="chart-plot"
      role="img"
      aria-label={label}
      style={{ height: `${height}px` }}
      onMouseLeave={() => latest.current.onHover?.(null)}
    />
  );
}
