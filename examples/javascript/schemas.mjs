// The bundled bakery_io schemas and the two validators used here, shared by
// validate.mjs and check.mjs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where the published schemas are: this repository's, unless BAKERY_IO_SCHEMAS says. */
export const SCHEMAS = process.env.BAKERY_IO_SCHEMAS ?? path.resolve(here, "../../schemas_json");

/** The bundled schema (a self-contained file) of one version and container kind. */
export function bundled(version, kind) {
  const file = path.join(SCHEMAS, version, "bundled", `${kind}.schema.json`);
  if (!fs.existsSync(file)) throw new Error(`no bundled schema ${file}: unknown version ${version}?`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The container kind a JSON file is: by its name, then by its shape. */
export function kindOf(name, content) {
  if (name === "manifest.json") return "manifest";
  if (content && typeof content === "object" && !Array.isArray(content) && "entity_type" in content) {
    return "entity-file";
  }
  return "document";
}

/** The version a file states; a 1.0 production-history document states none. */
export function versionOf(content) {
  return typeof content?.version === "string" ? content.version : "1.0";
}

/**
 * ajv, as the schemas' README says: Ajv2020 (they are Draft 2020-12) in strict
 * mode, with ajv-formats so that "date", "uuid" and "date-time" are asserted.
 * Compiled validators are kept per schema.
 */
export function ajvValidator() {
  // strict: true turns strict mode's warnings into errors: the bundles need no allowances.
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const compiled = new Map();
  return (version, kind, content) => {
    const key = `${version}/${kind}`;
    if (!compiled.has(key)) compiled.set(key, ajv.compile(bundled(version, kind)));
    const validate = compiled.get(key);
    if (validate(content)) return [];
    return validate.errors.map((error) => ({
      pointer: error.instancePath || "/",
      message: `${error.message}${error.params?.additionalProperty ? `: ${error.params.additionalProperty}` : ""}`,
    }));
  };
}
