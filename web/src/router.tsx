/** A router of a few lines: the History API, a hook for the current location, and a Link. */
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const fn of listeners) fn();
  if (!opts.replace) window.scrollTo(0, 0);
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return loc;
}

export type Route =
  | { name: "jobs" }
  | { name: "overview" }
  | { name: "settings" }
  | { name: "runs" }
  | { name: "job"; jobId: string }
  | { name: "execution"; executionId: string }
  | { name: "not-found" };

/** Which page a path shows. */
export function matchRoute(path: string): Route {
  const p = path.replace(/\/+$/, "") || "/";
  if (p === "/" || p === "/jobs") return { name: "jobs" };
  if (p === "/overview") return { name: "overview" };
  if (p === "/settings") return { name: "settings" };
  if (p === "/runs") return { name: "runs" };
  let m = /^\/jobs\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: "job", jobId: decodeURIComponent(m[1]) };
  m = /^\/executions\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: "execution", executionId: decodeURIComponent(m[1]) };
  return { name: "not-found" };
}

type AnchorProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An anchor that navigates without reloading (and still opens in a new tab on ctrl/middle click). */
export function Link({ href, onClick, ...rest }: AnchorProps) {
  return (
    <a
      href={href}
      onClick={(e) => {
        if (typeof onClick === "function") onClick(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}

/**
 * After moving to another page, put the keyboard focus on its main heading (as a screen reader
 * user would expect from a page load), once the page has drawn it. Focus the user already moved
 * somewhere on the new page stays where it is.
 */
export function focusMainHeading(timeoutMs = 5000): () => void {
  const before = document.activeElement;
  let done = false;
  const tryFocus = (): boolean => {
    const h1 = document.querySelector<HTMLElement>("main h1");
    if (!h1) return false;
    const active = document.activeElement;
    const untouched = !active || active === document.body || active === before || !document.contains(active);
    if (untouched) {
      if (!h1.hasAttribute("tabindex")) h1.setAttribute("tabindex", "-1");
      h1.focus({ preventScroll: true });
    }
    return true;
  };
  if (tryFocus()) return () => {};
  const observer = new MutationObserver(() => {
    if (!done && tryFocus()) stop();
  });
  const timer = setTimeout(() => stop(), timeoutMs);
  const stop = () => {
    done = true;
    observer.disconnect();
    clearTimeout(timer);
  };
  observer.observe(document.body, { childList: true, subtree: true });
  return stop;
}
