import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

export interface Toast {
  id: number;
  body: ComponentChildren;
  tone: "info" | "error";
}

let nextId = 1;
const listeners = new Set<(t: Toast[]) => void>();
let toasts: Toast[] = [];

function publish(): void {
  for (const fn of listeners) fn(toasts);
}

/** Show a short note in the corner for a few seconds. */
export function toast(body: ComponentChildren, tone: Toast["tone"] = "info"): void {
  const t = { id: nextId++, body, tone };
  toasts = [...toasts, t].slice(-4);
  publish();
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    publish();
  }, 6000);
}

export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => {
      listeners.delete(setList);
    };
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast--${t.tone}`}>
          {t.body}
        </div>
      ))}
    </div>
  );
}
