/**
 * Response → output record (DESIGN §4): how a parsed JSON response body becomes the action's
 * `output: Record<string, string>`. Binary bodies are the HTTP layer's concern and never reach here.
 */

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON text of a value; `undefined` (not JSON) becomes "null" so the record stays all strings. */
function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/**
 * A JSON object body gives one output field per top-level field: strings as they are, every other
 * value as its JSON text (so `${a.output.user.name}` can navigate into it later). Any other JSON body
 * gives `{ body: <json text> }`; no body gives `{}`. Keys such as `__proto__` stay ordinary fields.
 */
export function toOutputRecord(body: unknown): Record<string, string> {
  if (body === undefined) return {};
  if (!isPlainObject(body)) return { body: jsonText(body) };
  return Object.fromEntries(
    Object.entries(body).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : jsonText(value)]),
  );
}
