/**
 * One WebSocket to the server for the whole page, that reconnects by itself with backoff,
 * tells who listens whether it is live, and keeps log subscriptions across reconnects
 * (resuming each after the last stored chunk it saw).
 */
import { backoffDelay } from "./backoff";
import { type ClientMessage, parseServerMessage, type ServerMessage } from "./messages";

export type LiveStatus = "connecting" | "live" | "offline";

export interface SocketLike {
  readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

type LogHandler = (msg: Extract<ServerMessage, { type: "pulse_execution_log" }>) => void;

interface LogSubscription {
  afterSeq: number;
  handlers: Set<LogHandler>;
}

const OPEN = 1;

export class LiveConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private everOpened = false;
  private statusValue: LiveStatus = "connecting";
  private lostAt: number | null = null;
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private readonly messageListeners = new Set<(m: ServerMessage) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly logs = new Map<string, LogSubscription>();

  constructor(
    private readonly open: () => SocketLike,
    private readonly scheduler: Scheduler = {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
    },
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  get status(): LiveStatus {
    return this.statusValue;
  }

  /**
   * While offline after having been live: when the connection was lost (ms since the epoch), so
   * the page can say how old what it shows is. Null otherwise.
   */
  get offlineSince(): number | null {
    return this.statusValue === "offline" ? this.lostAt : null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.setStatus("offline");
  }

  /** Reconnect now instead of waiting out the backoff (the "retry" button). */
  retryNow(): void {
    if (this.stopped || this.statusValue === "live") return;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    if (!this.socket) this.connect();
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  onMessage(fn: (m: ServerMessage) => void): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  /** Called after a lost connection comes back: events were missed, so data should be refetched. */
  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  /** Receive the log lines of an execution after `afterSeq`, stored then live, until unsubscribed. */
  subscribeLogs(executionId: string, afterSeq: number, handler: LogHandler): () => void {
    let sub = this.logs.get(executionId);
    if (!sub) {
      sub = { afterSeq, handlers: new Set() };
      this.logs.set(executionId, sub);
      this.send({ type: "subscribe_logs", execution_id: executionId, after_seq: afterSeq });
    }
    sub.handlers.add(handler);
    return () => {
      const s = this.logs.get(executionId);
      if (!s) return;
      s.handlers.delete(handler);
      if (s.handlers.size === 0) {
        this.logs.delete(executionId);
        this.send({ type: "unsubscribe_logs", execution_id: executionId });
      }
    };
  }

  private send(msg: ClientMessage): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(msg));
  }

  private setStatus(s: LiveStatus): void {
    if (s === this.statusValue) return;
    if (s === "offline" && this.statusValue === "live") this.lostAt = this.now();
    if (s === "live") this.lostAt = null;
    this.statusValue = s;
    for (const fn of this.statusListeners) fn(s);
  }

  private connect(): void {
    this.timer = null;
    if (this.stopped) return;
    let socket: SocketLike;
    try {
      socket = this.open();
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const wasReconnect = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.setStatus("live");
      for (const [id, sub] of this.logs) {
        this.send({ type: "subscribe_logs", execution_id: id, after_seq: sub.afterSeq });
      }
      if (wasReconnect) for (const fn of this.reconnectListeners) fn();
    };
    socket.onmessage = (ev) => this.dispatch(parseServerMessage(ev.data));
    socket.onerror = () => {
      // A close always follows; that is where we reconnect.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setStatus("offline");
    const delay = backoffDelay(this.attempt, this.random);
    this.attempt += 1;
    this.timer = this.scheduler.setTimeout(() => this.connect(), delay);
  }

  private dispatch(msg: ServerMessage | null): void {
    if (!msg) return;
    if (msg.type === "pulse_execution_log") {
      const sub = this.logs.get(msg.execution_id);
      if (!sub) return;
      if (msg.seq !== null) {
        // Stored chunks we already have (a resend after a reconnect) are dropped here.
        if (msg.seq <= sub.afterSeq) return;
        sub.afterSeq = msg.seq;
      }
      for (const fn of sub.handlers) fn(msg);
      return;
    }
    for (const fn of this.messageListeners) fn(msg);
  }
}

/** The connection to this page's own server. */
export function browserSocket(token: string | null): SocketLike {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  return new WebSocket(`${proto}//${location.host}/api/pulse/ws${q}`);
}
