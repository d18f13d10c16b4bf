/**
 * Matching the rules that users write — catalog `errorMappings`, `rateLimiting.detection` and a
 * definition's `knownErrors` — against one failed attempt. Patterns are user input: they run on the
 * linear-time engine of support/safe-pattern.ts, so no pattern can stall classification (the loaders
 * reject what it cannot compile; an entry from a remote catalog is not loaded through them, so an
 * uncompilable pattern still never throws here: it does not match, and the caller reports it in the
 * error context). Patterns are case-insensitive (API messages and header values vary in case between
 * versions).
 */
import type { ApiErrorMapping, ApiRateLimitConfig } from '../schemas/catalog.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import { compileSafePattern } from '../support/safe-pattern.ts';

/** What a rule can look at. */
export interface RuleFacts {
  /** HTTP status, when the server answered. */
  status?: number | undefined;
  /** Response headers, lower-cased names. */
  headers: Readonly<Record<string, string>>;
  /** Texts a `pattern` is tested against: the API message, its error code, the raw body. */
  texts: readonly string[];
}

/** Collects "rule X has an invalid pattern" notes while matching. */
export type InvalidPatternSink = (note: string) => void;

function testPattern(source: string, texts: readonly string[], where: string, invalid: InvalidPatternSink): boolean {
  const regex = compileSafePattern(source);
  if (typeof regex === 'string') {
    invalid(`${where}: ${regex}`);
    return false;
  }
  return texts.some((text) => text !== '' && regex.test(text));
}

/** One-line description of a mapping rule for the error context. */
export function describeMapping(rule: ApiErrorMapping): string {
  const parts: string[] = [];
  if (rule.status !== undefined) parts.push(`status=${rule.status}`);
  if (rule.header !== undefined) parts.push(`header ${rule.header.name}~/${rule.header.pattern}/`);
  if (rule.pattern !== undefined) parts.push(`pattern=/${rule.pattern}/`);
  return parts.length === 0 ? '(matches everything)' : parts.join(' ');
}

export interface MappingMatchOptions {
  /**
   * On a 2xx body (quirks.successWithErrorBody) only rules with a pattern or header criterion can
   * tell an error body from a success, so status-only and empty rules are skipped.
   */
  successBody?: boolean;
  /** Network errors: only rules that look at the message (set a `pattern`) apply. */
  messageOnly?: boolean;
}

/** The first mapping whose every set criterion matches (DESIGN §5 precedence step 1). */
export function matchErrorMapping(
  mappings: readonly ApiErrorMapping[],
  facts: RuleFacts,
  invalid: InvalidPatternSink,
  opts: MappingMatchOptions = {},
): { index: number; rule: ApiErrorMapping } | undefined {
  for (const [index, rule] of mappings.entries()) {
    const where = `errorMappings[${index}]`;
    if (opts.successBody === true && rule.pattern === undefined && rule.header === undefined) continue;
    if (opts.messageOnly === true && rule.pattern === undefined) continue;
    if (rule.status !== undefined && rule.status !== facts.status) continue;
    if (rule.header !== undefined) {
      const value = facts.headers[rule.header.name.toLowerCase()];
      if (value === undefined || !testPattern(rule.header.pattern, [value], `${where}.header.pattern`, invalid)) continue;
    }
    if (rule.pattern !== undefined && !testPattern(rule.pattern, facts.texts, `${where}.pattern`, invalid)) continue;
    return { index, rule };
  }
  return undefined;
}

/**
 * Whether `rateLimiting.detection` says this response is a rate limit (precedence step 2).
 * The status must be one of `statusCodes` (when listed). If `headers` or `bodyPatterns` are listed,
 * at least one must also indicate it: a header indicates by being present — except the entry's
 * `remainingHeader` (or any header named `…remaining…`), which indicates only when it is 0, since
 * GitHub and others send it on every response. Returns the reason, or undefined.
 */
export function detectRateLimit(config: ApiRateLimitConfig, facts: RuleFacts, invalid: InvalidPatternSink): string | undefined {
  const { detection, extraction } = config;
  if (detection.statusCodes.length > 0 && (facts.status === undefined || !detection.statusCodes.includes(facts.status))) return undefined;
  const signals = detection.headers.length + (detection.bodyPatterns?.length ?? 0);
  const statusPart = facts.status === undefined ? '' : `status ${facts.status}`;
  if (signals === 0) return statusPart === '' ? undefined : statusPart;

  const remainingName = extraction.remainingHeader?.toLowerCase();
  for (const header of detection.headers) {
    const name = header.toLowerCase();
    const value = facts.headers[name];
    if (value === undefined) continue;
    if (name === remainingName || name.includes('remaining')) {
      if (Number(value.trim()) === 0 && value.trim() !== '') return `${statusPart} with ${name}: ${value}`.trim();
      continue;
    }
    return `${statusPart} with ${name}: ${value}`.trim();
  }
  for (const [index, pattern] of (detection.bodyPatterns ?? []).entries()) {
    if (testPattern(pattern, facts.texts, `rateLimiting.detection.bodyPatterns[${index}]`, invalid)) {
      return `${statusPart} with a body matching /${pattern}/`.trim();
    }
  }
  return undefined;
}

/** The first of the definition's `knownErrors` whose pattern matches (precedence step 3). */
export function matchKnownError(
  knownErrors: ActionDefinition['knownErrors'],
  texts: readonly string[],
  invalid: InvalidPatternSink,
): { index: number; rule: ActionDefinition['knownErrors'][number] } | undefined {
  for (const [index, rule] of knownErrors.entries()) {
    if (testPattern(rule.pattern, texts, `knownErrors[${index}].pattern`, invalid)) return { index, rule };
  }
  return undefined;
}
