// Fails when src/api/schema.gen.ts is not what openapi-typescript makes of openapi.json today,
// i.e. when someone changed the server's API (or the generated file) without `npm run gen:api`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "pulse-api-"));
const fresh = join(dir, "schema.gen.ts");
try {
  execFileSync(
    process.execPath,
    ["node_modules/openapi-typescript/bin/cli.js", "openapi.json", "--output", fresh],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const committed = readFileSync("src/api/schema.gen.ts", "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error(
      "src/api/schema.gen.ts is stale: it does not match openapi.json. Run `npm run gen:api` and commit the result.",
    );
    process.exit(1);
  }
  console.log("src/api/schema.gen.ts is up to date with openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
