import { useState } from "preact/hooks";

function read(key: string, fallback: boolean): boolean {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : v === "1";
  } catch {
    return fallback;
  }
}

/** A yes/no preference kept in this browser (the log's wrap and time zone toggles). */
export function useStoredFlag(key: string, fallback = false): [boolean, (v: boolean) => void] {
  const [value, setValue] = useState(() => read(key, fallback));
  const set = (v: boolean) => {
    setValue(v);
    try {
      localStorage.setItem(key, v ? "1" : "0");
    } catch {
      // Without storage the choice lasts for this page.
    }
  };
  return [value, set];
}
