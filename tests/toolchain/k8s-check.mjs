// Checks every Kubernetes and Istio object in the YAML files given on the
// command line against the published schemas, twice over: each object is
// validated by its kubernetes-models class (types, formats, required
// fields), and typed as that class's interface in a TypeScript file that
// `tsc --strict` compiles, which refuses any field the schema does not
// have (the API server's strict field validation would refuse it too).
// Prints each failure and exits 1 if any object fails, or none is found.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
// apiVersion/kind -> the module that defines it (its class and `I<Kind>` interface).
const modules = {
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "networking.istio.io/v1/DestinationRule": "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule",
  "networking.istio.io/v1/Gateway": "@kubernetes-models/istio/networking.istio.io/v1/Gateway",
  "networking.istio.io/v1/VirtualService": "@kubernetes-models/istio/networking.istio.io/v1/VirtualService",
  "security.istio.io/v1/AuthorizationPolicy": "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy",
  "security.istio.io/v1/PeerAuthentication": "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication",
};

let objects = 0;
let failures = 0;
const typed = [];
for (const file of process.argv.slice(2)) {
  for (const [index, document] of parseAllDocuments(readFileSync(file, "utf8")).entries()) {
    if (document.errors.length > 0) {
      failures++;
      console.error(`${file}: document ${index + 1}: ${document.errors[0].message}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    objects++;
    const kind = `${object.apiVersion}/${object.kind}`;
    const path = modules[kind];
    if (!path) {
      failures++;
      console.error(`${file}: document ${index + 1}: no schema for ${kind}`);
      continue;
    }
    const exported = await import(path);
    try {
      new exported[object.kind](object).validate();
    } catch (error) {
      failures++;
      console.error(`${file}: ${kind} ${object.metadata?.name}: ${String(error?.message ?? error)}`);
    }
    typed.push({ path, kind: object.kind, object, where: `${file}: ${kind} ${object.metadata?.name}` });
  }
}

// Unknown fields: each object as a literal of its interface.
const work = mkdtempSync(join(tmpdir(), "k8s-check-"));
try {
  symlinkSync(join(here, "node_modules"), join(work, "node_modules"), "dir");
  const lines = typed.map(({ path, kind }, i) => `import type { I${kind} as T${i} } from "${path}";`);
  typed.forEach(({ object, where }, i) => {
    lines.push(`// ${where}`);
    lines.push(`export const object${i}: T${i} = ${JSON.stringify(object, null, 2)};`);
  });
  writeFileSync(join(work, "objects.ts"), lines.join("\n") + "\n");
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true, types: [] },
      files: ["objects.ts"],
    }),
  );
  const tsc = spawnSync(join(here, "node_modules/.bin/tsc"), ["-p", work], { encoding: "utf8" });
  if (tsc.status !== 0) {
    failures++;
    console.error(`the objects do not type as their schemas:\n${tsc.stdout}${tsc.stderr}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`${objects} objects, ${failures} failed`);
process.exit(failures > 0 || objects === 0 ? 1 : 0);
