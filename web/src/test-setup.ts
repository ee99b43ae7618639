// Unmount what each test rendered (Testing Library cleans up by itself only with global hooks).
import { cleanup } from "@testing-library/preact";
import { afterEach } from "vitest";

afterEach(cleanup);
