import { act, renderHook, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { useAsync } from "./useAsync";

function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("useAsync", () => {
  it("keeps the shown page while the next one loads, with keepPrevious", async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let call = 0;
    const { result, rerender } = renderHook(({ page }: { page: number }) =>
      useAsync(() => (answers[call++] as ReturnType<typeof deferred<string>>).promise, [page], { keepPrevious: true }),
    { initialProps: { page: 1 } });
    expect(result.current.state.status).toBe("loading");
    await act(async () => answers[0]?.resolve("page 1"));
    expect(result.current.state.data).toBe("page 1");

    rerender({ page: 2 });
    expect(result.current.state.data).toBe("page 1");
    expect(result.current.pending).toBe(true);
    await act(async () => answers[1]?.resolve("page 2"));
    await waitFor(() => expect(result.current.state.data).toBe("page 2"));
    expect(result.current.pending).toBe(false);
  });

  it("drops the answer of a superseded call", async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let call = 0;
    const { result, rerender } = renderHook(({ id }: { id: string }) =>
      useAsync(() => (answers[call++] as ReturnType<typeof deferred<string>>).promise, [id]),
    { initialProps: { id: "a" } });
    rerender({ id: "b" });
    await act(async () => answers[1]?.resolve("b"));
    await act(async () => answers[0]?.resolve("a (late)"));
    expect(result.current.state.data).toBe("b");
  });
});
