#!/usr/bin/env node
// Lints each fixture named on the command line with the repository's eslint.config.mjs, as if it
// sat at the path its first line names (`// as: <path>`), and prints the import-rule messages as
// JSON: { "<fixture>": [{ line, message }] }. Run by layer-rules.unit.spec.ts (in a process of its
// own: ESLint loads its configuration by dynamic import, which Jest's module sandbox refuses).
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const eslint = new ESLint({
  cwd: ROOT,
  // The fixtures are not in the TypeScript project: no type information, so only the import rule runs.
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parserOptions: { project: null } } }],
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});
const out = {};
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const as = /^\/\/ as: (\S+)/.exec(text)?.[1];
  if (!as) throw new Error(`${file} does not say where it sits (// as: <path>)`);
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, as) });
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`${file} did not parse: ${fatal.map((m) => m.message).join('; ')}`);
  out[basename(file)] = result.messages.map((m) => ({ line: m.line, message: m.message }));
}
console.log(JSON.stringify(out));
