/** Formats zod issues as lines a person can act on: `$.path.to.field: what was expected`. */
import type { z } from 'zod';

export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : `${out}.${String(segment)}`), '$');
}

export function formatZodIssues(issues: readonly z.core.$ZodIssue[], limit = 10): string {
  const lines = issues.slice(0, limit).map((issue) => `  ${jsonPath(issue.path)}: ${issue.message}`);
  if (issues.length > limit) lines.push(`  … and ${issues.length - limit} more`);
  return lines.join('\n');
}
