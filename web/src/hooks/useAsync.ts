import { useCallback, useLayoutEffect, useRef, useState } from "preact/hooks";

export type AsyncState<T> =
  | { status: "loading"; data?: undefined; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data?: undefined; error: unknown };

type Mode = "fresh" | "background" | "switch";

/**
 * Run `load` when `deps` change; answers of superseded calls are dropped. `reload` runs it again
 * in the background, keeping what is shown until the new answer arrives. With `keepPrevious`, a
 * change of `deps` (another page, another filter) also keeps what is shown, marked `pending`,
 * instead of flashing a loading state.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], opts: { keepPrevious?: boolean } = {}) {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  const [pending, setPending] = useState(false);
  const call = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback((mode: Mode) => {
    const id = ++call.current;
    if (mode === "fresh") setState({ status: "loading" });
    if (mode === "switch") {
      setPending(true);
      setState((s) => (s.status === "ok" ? s : { status: "loading" }));
    }
    loadRef.current().then(
      (data) => {
        if (id !== call.current) return;
        setState({ status: "ok", data });
        setPending(false);
      },
      (error: unknown) => {
        if (id !== call.current) return;
        // A background refresh that fails keeps the page as it was.
        setState((s) => (mode === "background" && s.status === "ok" ? s : { status: "error", error }));
        setPending(false);
      },
    );
  }, []);

  // A layout effect starts the request right after the first render instead of after the first
  // paint, which is a frame (or several, on a busy page) sooner.
  const first = useRef(true);
  useLayoutEffect(() => {
    run(first.current || !opts.keepPrevious ? "fresh" : "switch");
    first.current = false;
  }, deps);
  const reload = useCallback(() => run("background"), [run]);
  const retry = useCallback(() => run("fresh"), [run]);
  return { state, setState, pending, reload, retry };
}
