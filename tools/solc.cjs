#!/usr/bin/env node
// A solc command line for forge, backed by solc-js (WebAssembly) from npm.
//
// Forge asks a local compiler two things: `solc --version`, and a compilation
// of standard JSON on stdin (`solc ... --standard-json`). Both are answered here
// by calling solc-js's own functions; solc-js's CLI is not used because it
// prints an SMT-checker notice on stdout, which corrupts the JSON forge reads.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write(
    "solc, the solidity compiler commandline interface\nVersion: " + solc.version() + "\n",
  );
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("tools/solc.cjs: only --version and --standard-json are supported\n");
  process.exit(2);
}

// Forge sends every source inline; this callback only serves an import that it
// did not inline, from the allowed base and include paths, never from elsewhere.
function optionValues(name) {
  const values = [];
  args.forEach((arg, i) => {
    if (arg === name && i + 1 < args.length) values.push(...args[i + 1].split(","));
  });
  return values;
}
const roots = [...optionValues("--base-path"), ...optionValues("--include-path")];

function findImports(importPath) {
  for (const root of roots.length ? roots : [process.cwd()]) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: "File not found: " + importPath };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
