import { describe, expect, it } from "vitest";
import { appendPage, mergeHead } from "./runs";

const run = (id: string, minute: number, status = "completed") => ({
  id,
  started_at: `2025-12-06T12:${String(minute).padStart(2, "0")}:00.000Z`,
  status,
});

describe("mergeHead", () => {
  it("puts new runs on top and keeps the pages loaded beyond the head", () => {
    const current = { executions: [run("d", 4), run("c", 3), run("b", 2), run("a", 1)], nextCursor: "after-a" };
    const head = { executions: [run("e", 5, "running"), run("d", 4, "failed")], nextCursor: "after-d" };
    const merged = mergeHead(current, head);
    expect(merged.executions.map((e) => e.id)).toEqual(["e", "d", "c", "b", "a"]);
    expect(merged.executions[1]?.status).toBe("failed");
    expect(merged.nextCursor).toBe("after-a");
  });

  it("takes a complete head as the whole list", () => {
    const current = { executions: [run("b", 2), run("a", 1)], nextCursor: null };
    const head = { executions: [run("c", 3)], nextCursor: null };
    expect(mergeHead(current, head)).toBe(head);
  });

  it("takes the head's cursor when nothing was loaded beyond it", () => {
    const current = { executions: [run("b", 2)], nextCursor: "after-b" };
    const head = { executions: [run("c", 3), run("b", 2)], nextCursor: "after-b2" };
    expect(mergeHead(current, head).nextCursor).toBe("after-b2");
  });
});

describe("appendPage", () => {
  it("adds the next page without repeating a run", () => {
    const current = { executions: [run("c", 3), run("b", 2)], nextCursor: "x" };
    const next = { executions: [run("b", 2), run("a", 1)], nextCursor: null };
    expect(appendPage(current, next)).toEqual({ executions: [run("c", 3), run("b", 2), run("a", 1)], nextCursor: null });
  });
});
