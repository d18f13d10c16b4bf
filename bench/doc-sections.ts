/**
 * docs/benchmarks.md is written by two programs (`npm run bench` and `npm run chaos`), each owning one
 * section between HTML comment markers. Replacing only its own section lets either run alone without
 * erasing the other's figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = `# Benchmarks, chaos soak and fuzzing

Figures, not claims: every number below was produced by the command printed next to it, on the
machine described with it. The sections are rewritten by \`npm run bench\` and \`npm run chaos\`;
edit the prose outside the markers only.
`;

/** Replaces (or appends) the section `name` of `file` with `markdown`. */
export function writeDocSection(file: string, name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `${HEADER}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
