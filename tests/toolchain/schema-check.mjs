// Usage: node schema-check.mjs SCHEMA.json SPEC.bc.yaml...
// Validates each spec (read as YAML 1.2) against parasol's JSON Schema of
// the spec format, as an editor would, and prints one line per failure.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { parse } from "yaml";

const [schemaFile, ...specs] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
let failed = 0;
for (const file of specs) {
  const spec = parse(readFileSync(file, "utf8"));
  if (!validate(spec)) {
    failed += 1;
    for (const e of validate.errors ?? []) {
      console.log(`${file}: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
console.log(`specs: ${specs.length}, failed: ${failed}`);
process.exit(failed === 0 ? 0 : 1);
