#!/usr/bin/env node
// Validate a bakery_io backup directory, a single document or an entity file
// with the published bundled JSON Schemas (ajv + ajv-formats).
//
//   node validate.mjs PATH
//
// Prints one line per problem (file, JSON pointer, message); exits 0 when
// valid, 1 when not, 2 on a usage error. What JSON Schema cannot say (sha256
// and record counts against the manifest, references between records) is
// left to `bakery-io validate`.
import fs from "node:fs";
import path from "node:path";

import { ajvValidator, kindOf, versionOf } from "./schemas.mjs";

function filesOf(target) {
  if (!fs.statSync(target).isDirectory()) return [target];
  const names = fs.readdirSync(target).filter((name) => name.endsWith(".json")).sort();
  if (!names.includes("manifest.json")) {
    throw new Error(`${target} holds no manifest.json: not a backup directory`);
  }
  const ordered = ["manifest.json", ...names.filter((name) => name !== "manifest.json")];
  return ordered.map((name) => path.join(target, name));
}

function main(argv) {
  if (argv.length !== 1 || argv[0].startsWith("-")) {
    console.error("usage: node validate.mjs BACKUP_DIRECTORY|DOCUMENT.json|ENTITY_FILE.json");
    return 2;
  }
  if (!fs.existsSync(argv[0])) {
    console.error(`not found: ${argv[0]}`);
    return 2;
  }
  const validate = ajvValidator();
  let files;
  try {
    files = filesOf(argv[0]);
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  let stated = null; // a backup's files are all of its manifest's version
  let problems = 0;
  for (const file of files) {
    const name = path.basename(file);
    let content;
    try {
      content = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      console.log(`${name}: not JSON: ${error.message}`);
      problems += 1;
      continue;
    }
    if (name === "manifest.json") stated = versionOf(content);
    const version = stated ?? versionOf(content);
    let found;
    try {
      found = validate(version, kindOf(name, content), content);
    } catch (error) {
      console.log(`${name}: ${error.message}`);
      problems += 1;
      continue;
    }
    for (const problem of found) console.log(`${name} ${problem.pointer}: ${problem.message}`);
    problems += found.length;
  }
  const checked = `${files.length} file${files.length === 1 ? "" : "s"}`;
  if (problems) {
    console.log(`invalid: ${problems} problem${problems === 1 ? "" : "s"} in ${checked}`);
    return 1;
  }
  console.log(`valid: ${checked} (format ${stated ?? "as each file states"})`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
