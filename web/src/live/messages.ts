/**
 * The WebSocket's messages (`/api/pulse/ws`). The seed's three execution messages keep the seed's
 * fields; Pulse adds a greeting, job changes and live log lines. These are not in the OpenAPI
 * document (which describes HTTP only), so they are checked here on arrival.
 */
import type { ExecutionStatus } from "../api/executions";

export type LogStreamName = "stdout" | "stderr" | "log" | "system";

export type ServerMessage =
  | { type: "hello"; node_id: string }
  | { type: "pulse_execution_started"; execution_id: string; job_id: string }
  | { type: "pulse_execution_completed"; execution_id: string; job_id: string; duration_ms: number }
  | { type: "pulse_execution_failed"; execution_id: string; job_id: string; error: string }
  | { type: "pulse_execution_cancelling"; execution_id: string; job_id: string; requested_at: string }
  | {
      type: "pulse_job_changed";
      job_id: string;
      change: "created" | "updated" | "deleted" | "skipped" | "missed";
    }
  | {
      type: "pulse_execution_log";
      execution_id: string;
      seq: number | null;
      ts: string;
      stream: LogStreamName;
      text: string;
    };

export type ExecutionMessage = Extract<
  ServerMessage,
  { type: "pulse_execution_started" | "pulse_execution_completed" | "pulse_execution_failed" }
>;

export type ClientMessage =
  | { type: "subscribe_logs"; execution_id: string; after_seq: number }
  | { type: "unsubscribe_logs"; execution_id: string };

type Obj = Record<string, unknown>;
const str = (o: Obj, k: string): boolean => typeof o[k] === "string";

/** The message in `data`, or null when it is not one this UI knows (ignored, never thrown). */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== "string") return null;
  let o: unknown;
  try {
    o = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof o !== "object" || o === null) return null;
  const m = o as Obj;
  switch (m.type) {
    case "hello":
      return { type: "hello", node_id: typeof m.node_id === "string" ? m.node_id : "" };
    case "pulse_execution_started":
      return str(m, "execution_id") && str(m, "job_id") ? (m as ServerMessage) : null;
    case "pulse_execution_completed":
      return str(m, "execution_id") && str(m, "job_id")
        ? { ...(m as ServerMessage & Obj), duration_ms: typeof m.duration_ms === "number" ? m.duration_ms : 0 } as ServerMessage
        : null;
    case "pulse_execution_failed":
      return str(m, "execution_id") && str(m, "job_id")
        ? { ...(m as ServerMessage & Obj), error: typeof m.error === "string" ? m.error : "" } as ServerMessage
        : null;
    case "pulse_execution_cancelling":
      return str(m, "execution_id") && str(m, "job_id") && str(m, "requested_at") ? (m as ServerMessage) : null;
    case "pulse_job_changed":
      return str(m, "job_id") && str(m, "change") ? (m as ServerMessage) : null;
    case "pulse_execution_log":
      return str(m, "execution_id") && str(m, "text") && (m.seq === null || typeof m.seq === "number")
        ? (m as ServerMessage)
        : null;
    default:
      return null;
  }
}

/** The status an execution message puts its execution in. */
export function statusOf(msg: ExecutionMessage): ExecutionStatus {
  switch (msg.type) {
    case "pulse_execution_started":
      return "running";
    case "pulse_execution_completed":
      return "completed";
    case "pulse_execution_failed":
      return "failed";
  }
}

export function isExecutionMessage(msg: ServerMessage): msg is ExecutionMessage {
  return (
    msg.type === "pulse_execution_started" ||
    msg.type === "pulse_execution_completed" ||
    msg.type === "pulse_execution_failed"
  );
}
