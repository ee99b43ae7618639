/** The page's one live connection, and hooks for components to use it. */
import { useEffect, useRef, useState } from "preact/hooks";
import { getToken } from "../api/http";
import { browserSocket, LiveConnection, type LiveStatus } from "./connection";
import type { ServerMessage } from "./messages";

export const live = new LiveConnection(() => browserSocket(getToken()));

export function useLiveStatus(): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>(live.status);
  useEffect(() => live.onStatus(setStatus), []);
  return status;
}

/** Call `fn` for every live message (the latest `fn`, without resubscribing on each render). */
export function useLiveMessages(fn: (m: ServerMessage) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onMessage((m) => ref.current(m)), []);
}

/** Call `fn` when the connection comes back after a loss (events were missed: refetch). */
export function useReconnect(fn: () => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onReconnect(() => ref.current()), []);
}
