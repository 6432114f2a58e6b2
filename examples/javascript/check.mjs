#!/usr/bin/env node
// Check that ajv and @hyperjump/json-schema, each given only the bundled
// schemas, agree with bakery_io on every case of a corpus built by corpus.py.
//
//   node check.mjs CORPUS_DIR
//
// Exits 1 when any validator disagrees with bakery_io on any case.
import fs from "node:fs";
import path from "node:path";

import { registerSchema, validate as hyperjump } from "@hyperjump/json-schema/draft-2020-12";

import { ajvValidator, bundled } from "./schemas.mjs";

/** @hyperjump/json-schema over the bundles: formats unasserted, as is its default. */
function hyperjumpValidator() {
  const registered = new Map();
  return async (version, kind, content) => {
    const key = `${version}/${kind}`;
    if (!registered.has(key)) {
      const schema = bundled(version, kind);
      registerSchema(schema);
      registered.set(key, await hyperjump(schema.$id));
    }
    const output = registered.get(key)(content, "BASIC");
    return output.valid ? [] : (output.errors ?? []).map((error) => ({
      pointer: error.instanceLocation,
      message: `${error.keyword} failed`,
    }));
  };
}

async function main(argv) {
  if (argv.length !== 1) {
    console.error("usage: node check.mjs CORPUS_DIR");
    return 2;
  }
  const corpus = argv[0];
  const cases = JSON.parse(fs.readFileSync(path.join(corpus, "cases.json"), "utf8"));
  const validators = { ajv: ajvValidator(), "@hyperjump/json-schema": hyperjumpValidator() };
  const disagreements = [];
  const counts = { valid: 0, invalid: 0 };
  for (const entry of cases) {
    const content = JSON.parse(fs.readFileSync(path.join(corpus, entry.file), "utf8"));
    const kind = entry.schema.replace(".schema.json", "");
    counts[entry.valid ? "valid" : "invalid"] += 1;
    for (const [name, validator] of Object.entries(validators)) {
      const problems = await validator(entry.version, kind, content);
      if ((problems.length === 0) !== entry.valid) {
        disagreements.push({ validator: name, entry, problems });
      }
    }
  }
  for (const { validator, entry, problems } of disagreements) {
    console.log(`DISAGREE ${validator} on ${entry.file} (${entry.source}, ${entry.mutation}):`);
    console.log(`  bakery_io: ${entry.valid ? "valid" : entry.problem}`);
    const said = problems.map((problem) => `${problem.pointer}: ${problem.message}`);
    console.log(`  ${validator}: ${said.length ? said.join("; ") : "valid"}`);
  }
  const names = Object.keys(validators).join(" and ");
  const summary = `${cases.length} cases (${counts.valid} valid, ${counts.invalid} invalid by bakery_io)`;
  if (disagreements.length) {
    console.log(`${disagreements.length} disagreements of ${names} with bakery_io over ${summary}`);
    return 1;
  }
  console.log(`${names} agree with bakery_io on all ${summary}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
