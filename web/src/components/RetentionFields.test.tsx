import { fireEvent, render, screen } from "@testing-library/preact";
import { useState } from "preact/hooks";
import { describe, expect, it } from "vitest";
import type { RetentionPolicy } from "../api/retention";
import { formFromRules, type RetentionForm, rulesFromForm } from "../lib/retention";
import { RetentionFields } from "./RetentionFields";

const GLOBAL: RetentionPolicy = { keep_days: { completed: 30, failed: 90 }, keep_max: 10_000, keep_min: 20 };

function Harness({ onForm }: { onForm: (f: RetentionForm) => void }) {
  const [form, setForm] = useState(() => formFromRules({ keep_days: { failed: 180 } }, GLOBAL));
  return (
    <RetentionFields
      idPrefix="t"
      form={form}
      errors={{ keep_min: "must not exceed keep_max" }}
      global={GLOBAL}
      onChange={(f) => {
        setForm(f);
        onForm(f);
      }}
    />
  );
}

describe("RetentionFields", () => {
  it("offers the global value, a number or no limit, each labelled", () => {
    render(<Harness onForm={() => undefined} />);
    const completed = screen.getByLabelText("Keep completed runs") as HTMLSelectElement;
    expect(completed.value).toBe("inherit");
    expect([...completed.options].map((o) => o.textContent)).toEqual([
      "as the global policy (30 days)",
      "for a number of days",
      "forever",
    ]);
    expect((screen.getByLabelText("Keep failed runs (days)") as HTMLInputElement).value).toBe("180");
    // The floor has no "no limit".
    const floor = screen.getByLabelText("Always keep the newest") as HTMLSelectElement;
    expect([...floor.options].map((o) => o.value)).toEqual(["inherit", "value"]);
  });

  it("shows a number input once a rule gets a value of its own, and reports the form", () => {
    let last: RetentionForm | undefined;
    render(<Harness onForm={(f) => (last = f)} />);
    fireEvent.change(screen.getByLabelText("Keep completed runs"), { target: { value: "value" } });
    const input = screen.getByLabelText("Keep completed runs (days)") as HTMLInputElement;
    expect(input.value).toBe("30");
    fireEvent.input(input, { target: { value: "7" } });
    expect(last && rulesFromForm(last).rules).toEqual({ keep_days: { completed: 7, failed: 180 } });
  });

  it("ties a rule's error to its input", () => {
    render(<Harness onForm={() => undefined} />);
    const floor = screen.getByLabelText("Always keep the newest");
    expect(floor.getAttribute("aria-describedby")).toBe("t-keep_min-error");
    expect(document.getElementById("t-keep_min-error")?.textContent).toBe("must not exceed keep_max");
  });
});
