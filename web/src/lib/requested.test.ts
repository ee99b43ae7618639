import { describe, expect, it } from "vitest";
import { isRequested, markRequested } from "./requested";

describe("requested runs", () => {
  it("are waited for a minute, then forgotten", () => {
    markRequested("PX_1", 1000);
    expect(isRequested("PX_1", 1000 + 59_000)).toBe(true);
    expect(isRequested("PX_1", 1000 + 61_000)).toBe(false);
    expect(isRequested("PX_1", 1000)).toBe(false);
    expect(isRequested("PX_2")).toBe(false);
  });
});
