import { describe, expect, it } from "vitest";
import { matchRoute } from "./router";

describe("matchRoute", () => {
  it("routes the deep links the server serves", () => {
    expect(matchRoute("/")).toEqual({ name: "jobs" });
    expect(matchRoute("/jobs/SPJ_1")).toEqual({ name: "job", jobId: "SPJ_1" });
    expect(matchRoute("/jobs/SPJ_1/")).toEqual({ name: "job", jobId: "SPJ_1" });
    expect(matchRoute("/executions/PX_a_1")).toEqual({ name: "execution", executionId: "PX_a_1" });
    expect(matchRoute("/nope")).toEqual({ name: "not-found" });
  });

  it("routes the overview and the settings", () => {
    expect(matchRoute("/overview")).toEqual({ name: "overview" });
    expect(matchRoute("/settings/")).toEqual({ name: "settings" });
    expect(matchRoute("/runs")).toEqual({ name: "runs" });
  });
});

describe("focusMainHeading", () => {
  it("focuses the new page's h1 once it is drawn", async () => {
    const { focusMainHeading } = await import("./router");
    document.body.innerHTML = "<main id='main'></main>";
    focusMainHeading();
    const h1 = document.createElement("h1");
    h1.textContent = "Runs";
    document.querySelector("main")?.appendChild(h1);
    await new Promise((r) => setTimeout(r, 0));
    expect(document.activeElement).toBe(h1);
    expect(h1.getAttribute("tabindex")).toBe("-1");
  });
});
