import { describe, expect, it } from "vitest";
import { clampPage, offsetOf, pageCount, pageInfo, pageOf } from "./pagination";

describe("pagination arithmetic", () => {
  it("counts pages, with one page for an empty list", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(50, 50)).toBe(1);
    expect(pageCount(51, 50)).toBe(2);
    expect(pageCount(120, 50)).toBe(3);
  });

  it("turns offsets into pages and back", () => {
    expect(pageOf(0, 50)).toBe(1);
    expect(pageOf(100, 50)).toBe(3);
    expect(offsetOf(3, 50)).toBe(100);
    expect(offsetOf(0, 50)).toBe(0);
  });

  it("clamps a page from a URL into range", () => {
    expect(clampPage(7, 120, 50)).toBe(3);
    expect(clampPage(-1, 120, 50)).toBe(1);
    expect(clampPage(Number.NaN, 120, 50)).toBe(1);
  });

  it("describes the last, partial page of 120", () => {
    expect(pageInfo(100, 50, 20, 120)).toEqual({
      page: 3,
      pageCount: 3,
      first: 101,
      last: 120,
      total: 120,
      hasPrev: true,
      hasNext: false,
    });
  });

  it("describes the first page", () => {
    const info = pageInfo(0, 50, 50, 120);
    expect(info.first).toBe(1);
    expect(info.last).toBe(50);
    expect(info.hasPrev).toBe(false);
    expect(info.hasNext).toBe(true);
  });

  it("describes an empty list", () => {
    expect(pageInfo(0, 50, 0, 0)).toMatchObject({ page: 1, pageCount: 1, first: 0, last: 0, hasNext: false });
  });
});
