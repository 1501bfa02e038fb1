// Drives Hygen the way bench/run.sh compares it with parasol: in one Node
// process (no per-file process start), one `module new` run per module,
// each writing 8 files whose size matches parasol's average output file.
//
//   node generate.mjs OUT MODULES BYTES_PER_FILE
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { runner } = require("hygen");
const Logger = require("hygen/dist/logger").default;

const [out, modules, bytesPerFile] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
// One loop iteration of the templates renders about this many bytes.
const ITERATION = 305;
const repeat = String(Math.max(1, Math.round(Number(bytesPerFile) / ITERATION)));
const config = {
  templates: path.join(here, "_templates"),
  cwd: process.cwd(),
  logger: new Logger(() => {}),
  debug: false,
  exec: () => Promise.resolve(),
  createPrompter: () => require("enquirer"),
};
for (let m = 0; m < Number(modules); m++) {
  const name = `unit${String(m).padStart(4, "0")}`;
  const { success } = await runner(["module", "new", "--name", name, "--out", out, "--repeat", repeat], config);
  if (!success) process.exit(1);
}
