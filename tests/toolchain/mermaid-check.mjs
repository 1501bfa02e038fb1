// Parses every ```mermaid block of the Markdown files given on the command
// line with the real Mermaid parser (under jsdom); prints each failure and
// exits 1 if any block does not parse.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let blocks = 0;
let failures = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/```mermaid\n([\s\S]*?)```/g)) {
    blocks++;
    try {
      await mermaid.parse(match[1]);
    } catch (error) {
      failures++;
      console.error(`${file}: block ${blocks} does not parse:\n${String(error?.message ?? error)}\n${match[1]}`);
    }
  }
}
console.log(`${blocks} mermaid blocks, ${failures} failed`);
process.exit(failures > 0 || blocks === 0 ? 1 : 0);
