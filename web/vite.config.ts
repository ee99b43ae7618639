/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The build lands inside the Python package, which `pulse serve` serves at `/`.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "../src/pulse/web/dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a `pulse serve` on the default port.
    proxy: {
      "/api/pulse/ws": { target: "ws://127.0.0.1:8765", ws: true },
      "/api/pulse": { target: "http://127.0.0.1:8765" },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
