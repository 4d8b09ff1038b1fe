// Validate an AsyncAPI document with the official parser: `node validate.mjs docs/asyncapi.yaml`.
// Prints one JSON line per diagnostic (errors and warnings) and exits 1 when there is an error.
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
let errors = 0;
for (const diagnostic of diagnostics) {
  if (diagnostic.severity > DiagnosticSeverity.Warning) continue;
  if (diagnostic.severity === DiagnosticSeverity.Error) errors += 1;
  console.log(JSON.stringify({ severity: diagnostic.severity === DiagnosticSeverity.Error ? "error" : "warning",
    code: diagnostic.code, path: diagnostic.path.join("/"), message: diagnostic.message }));
}
if (errors || !document) process.exit(1);
console.log(JSON.stringify({ valid: true, version: document.version(), channels: document.channels().length,
  operations: document.operations().length, messages: document.components().messages().length }));
