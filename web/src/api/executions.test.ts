import { afterEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError, NotFoundError, ServerUnreachableError, UnauthorizedError } from "./errors";
import { getExecutionLogs, listExecutions } from "./executions";

const wireExecution = {
  id: "PX_a_1",
  scheduled_job_id: "SPJ_1",
  async_job_id: null,
  status: "completed",
  started_at: "2025-12-06T02:00:00.000Z",
  completed_at: "2025-12-06T02:00:12.340Z",
  duration_ms: 12340,
  result_summary: "Processed successfully",
  error_message: null,
  scheduled_for: null,
  trigger: "schedule",
  attempt: 1,
  rerun_of: null,
  node_id: "n1",
  exit_code: 0,
  log_bytes: 10,
  log_truncated: false,
  log_dropped_bytes: 0,
};

function respond(status: number, body: unknown, type = "application/json") {
  const fetchMock = vi.fn((_url: string, _init?: RequestInit) =>
    Promise.resolve(new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "Content-Type": type } })),
  );
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

describe("listExecutions", () => {
  it("asks with the seed's defaults and maps nulls to absent fields", async () => {
    const fetchMock = respond(200, { executions: [wireExecution], count: 1, total: 47, has_more: true });
    const page = await listExecutions("SPJ_1");
    expect(fetchMock.mock.calls[0]?.[0]).toBe("/api/pulse/jobs/SPJ_1/executions?limit=50&offset=0");
    expect(page.total).toBe(47);
    expect(page.has_more).toBe(true);
    const e = page.executions[0];
    expect(e?.duration_ms).toBe(12340);
    expect(e && "error_message" in e).toBe(false);
    expect(e && "async_job_id" in e).toBe(false);
  });

  it("passes the status filter and the page", async () => {
    const fetchMock = respond(200, { executions: [], count: 0, total: 0, has_more: false });
    await listExecutions("SPJ_1", 20, 40, "failed");
    expect(fetchMock.mock.calls[0]?.[0]).toBe("/api/pulse/jobs/SPJ_1/executions?limit=20&offset=40&status=failed");
  });

  it("throws typed errors", async () => {
    respond(404, { detail: "job SPJ_x not found", errors: [] });
    await expect(listExecutions("SPJ_x")).rejects.toBeInstanceOf(NotFoundError);
    respond(422, { detail: "limit: must be 1..500", errors: [{ field: "limit", message: "must be 1..500" }] });
    const err = await listExecutions("SPJ_1", 999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).messageFor("limit")).toBe("must be 1..500");
    respond(401, { detail: "token missing", errors: [] });
    await expect(listExecutions("SPJ_1")).rejects.toBeInstanceOf(UnauthorizedError);
    respond(503, { detail: "database away", errors: [] });
    await expect(listExecutions("SPJ_1")).rejects.toBeInstanceOf(ServerUnreachableError);
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(listExecutions("SPJ_1")).rejects.toBeInstanceOf(ServerUnreachableError);
  });
});

describe("getExecutionLogs", () => {
  it("returns the plain text log", async () => {
    const fetchMock = respond(200, "[2025-12-06T02:00:00Z] Starting job\n", "text/plain");
    expect(await getExecutionLogs("PX_a_1")).toBe("[2025-12-06T02:00:00Z] Starting job\n");
    expect(fetchMock.mock.calls[0]?.[0]).toBe("/api/pulse/executions/PX_a_1/logs");
  });
});
