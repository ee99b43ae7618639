import { describe, expect, it } from "vitest";
import { backoffDelay, BACKOFF_CAP_MS } from "./backoff";
import { LiveConnection, type LiveStatus, type Scheduler, type SocketLike } from "./connection";
import { parseServerMessage, type ServerMessage } from "./messages";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  serverOpens(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  serverSends(msg: object): void {
    this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(msg) }));
  }
  serverCloses(): void {
    this.readyState = 3;
    this.onclose?.(new CloseEvent("close"));
  }
}

class FakeTimers implements Scheduler {
  pending: { fn: () => void; ms: number }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { fn, ms };
    this.pending.push(t);
    return t;
  }
  clearTimeout(h: unknown): void {
    this.pending = this.pending.filter((t) => t !== h);
  }
  runNext(): number {
    const t = this.pending.shift();
    if (!t) throw new Error("no timer");
    t.fn();
    return t.ms;
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const conn = new LiveConnection(
    () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    timers,
    () => 1,
  );
  const statuses: LiveStatus[] = [];
  conn.onStatus((s) => statuses.push(s));
  const messages: ServerMessage[] = [];
  conn.onMessage((m) => messages.push(m));
  return { conn, sockets, timers, statuses, messages };
}

describe("LiveConnection", () => {
  it("goes live when the socket opens and passes on the seed's messages", () => {
    const { conn, sockets, statuses, messages } = setup();
    conn.start();
    sockets[0]?.serverOpens();
    sockets[0]?.serverSends({ type: "pulse_execution_started", execution_id: "PX_1", job_id: "SPJ_1" });
    expect(statuses).toEqual(["live"]);
    expect(messages).toEqual([{ type: "pulse_execution_started", execution_id: "PX_1", job_id: "SPJ_1" }]);
  });

  it("reconnects with growing delays and tells that it is offline meanwhile", () => {
    const { conn, sockets, timers, statuses } = setup();
    let reconnects = 0;
    conn.onReconnect(() => reconnects++);
    conn.start();
    sockets[0]?.serverOpens();
    sockets[0]?.serverCloses();
    expect(statuses).toEqual(["live", "offline"]);
    const first = timers.runNext();
    sockets[1]?.serverCloses();
    const second = timers.runNext();
    expect(second).toBeGreaterThan(first);
    sockets[2]?.serverOpens();
    expect(statuses.at(-1)).toBe("live");
    expect(reconnects).toBe(1);
    // After a success the delays start small again.
    sockets[2]?.serverCloses();
    expect(timers.runNext()).toBe(first);
  });

  it("resubscribes to logs after a reconnect, after the last chunk it saw", () => {
    const { conn, sockets, timers } = setup();
    conn.start();
    sockets[0]?.serverOpens();
    const lines: (number | null)[] = [];
    conn.subscribeLogs("PX_1", 0, (m) => lines.push(m.seq));
    expect(sockets[0]?.sent).toEqual([{ type: "subscribe_logs", execution_id: "PX_1", after_seq: 0 }]);
    const log = { type: "pulse_execution_log", execution_id: "PX_1", ts: "t", stream: "stdout", text: "x\n" };
    sockets[0]?.serverSends({ ...log, seq: 1 });
    sockets[0]?.serverSends({ ...log, seq: 2 });
    sockets[0]?.serverCloses();
    timers.runNext();
    sockets[1]?.serverOpens();
    expect(sockets[1]?.sent).toEqual([{ type: "subscribe_logs", execution_id: "PX_1", after_seq: 2 }]);
    sockets[1]?.serverSends({ ...log, seq: 2 }); // a resend is dropped
    sockets[1]?.serverSends({ ...log, seq: 3 });
    sockets[1]?.serverSends({ ...log, seq: null }); // past the log cap: not stored, still shown
    expect(lines).toEqual([1, 2, 3, null]);
  });

  it("unsubscribes when the last listener goes", () => {
    const { conn, sockets } = setup();
    conn.start();
    sockets[0]?.serverOpens();
    const off = conn.subscribeLogs("PX_1", 0, () => {});
    off();
    expect(sockets[0]?.sent.at(-1)).toEqual({ type: "unsubscribe_logs", execution_id: "PX_1" });
  });

  it("ignores messages it does not know", () => {
    const { conn, sockets, messages } = setup();
    conn.start();
    sockets[0]?.serverOpens();
    sockets[0]?.onmessage?.(new MessageEvent("message", { data: "not json" }));
    sockets[0]?.serverSends({ type: "something_new" });
    sockets[0]?.serverSends({ type: "pulse_execution_started" });
    expect(messages).toEqual([]);
  });

  it("remembers when it went offline, until it is live again", () => {
    const { conn, sockets, timers } = setup();
    conn.start();
    expect(conn.offlineSince).toBeNull();
    sockets[0]?.serverOpens();
    const before = Date.now();
    sockets[0]?.serverCloses();
    expect(conn.offlineSince).toBeGreaterThanOrEqual(before);
    const lost = conn.offlineSince;
    timers.runNext();
    sockets[1]?.serverCloses();
    expect(conn.offlineSince).toBe(lost);
    timers.runNext();
    sockets[2]?.serverOpens();
    expect(conn.offlineSince).toBeNull();
  });

  it("stops for good", () => {
    const { conn, sockets, timers } = setup();
    conn.start();
    sockets[0]?.serverOpens();
    conn.stop();
    expect(timers.pending).toHaveLength(0);
    expect(conn.status).toBe("offline");
  });
});

describe("backoffDelay", () => {
  it("grows and is capped", () => {
    const top = () => 1;
    expect(backoffDelay(0, top)).toBe(500);
    expect(backoffDelay(1, top)).toBe(1000);
    expect(backoffDelay(10, top)).toBe(BACKOFF_CAP_MS);
  });
  it("never goes below a quarter of its ceiling", () => {
    expect(backoffDelay(3, () => 0)).toBe(1000);
  });
});

describe("parseServerMessage", () => {
  it("reads the seed's messages", () => {
    expect(
      parseServerMessage(JSON.stringify({ type: "pulse_execution_failed", execution_id: "PX_1", job_id: "SPJ_1", error: "boom" })),
    ).toEqual({ type: "pulse_execution_failed", execution_id: "PX_1", job_id: "SPJ_1", error: "boom" });
    const cancelling = { type: "pulse_execution_cancelling", execution_id: "PX_1", job_id: "SPJ_1", requested_at: "2025-12-06T12:00:00.000Z" };
    expect(parseServerMessage(JSON.stringify(cancelling))).toEqual(cancelling);
    expect(parseServerMessage(JSON.stringify({ ...cancelling, requested_at: 1 }))).toBeNull();
    expect(
      parseServerMessage(
        JSON.stringify({ type: "pulse_execution_completed", execution_id: "PX_1", job_id: "SPJ_1", duration_ms: 12340 }),
      ),
    ).toMatchObject({ duration_ms: 12340 });
  });
});
