import { useCallback, useLayoutEffect, useRef, useState } from "preact/hooks";

export type AsyncState<T> =
  | { status: "loading"; data?: undefined; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data?: undefined; error: unknown };

/**
 * Run `load` when `deps` change; answers of superseded calls are dropped. `reload` runs it again
 * in the background, keeping what is shown until the new answer arrives.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  const call = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback((background: boolean) => {
    const id = ++call.current;
    if (!background) setState({ status: "loading" });
    loadRef.current().then(
      (data) => {
        if (id === call.current) setState({ status: "ok", data });
      },
      (error: unknown) => {
        if (id !== call.current) return;
        // A background refresh that fails keeps the page as it was.
        setState((s) => (background && s.status === "ok" ? s : { status: "error", error }));
      },
    );
  }, []);

  // A layout effect starts the request right after the first render instead of after the first
  // paint, which is a frame (or several, on a busy page) sooner.
  useLayoutEffect(() => run(false), deps);
  const reload = useCallback(() => run(true), [run]);
  const retry = useCallback(() => run(false), [run]);
  return { state, setState, reload, retry };
}
