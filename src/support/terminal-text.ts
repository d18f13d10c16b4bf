/**
 * Text for a terminal. Ids and API texts are data from elsewhere: an ANSI escape in them can recolour,
 * move the cursor or retitle the window, NUL truncates in some terminals, and bidi overrides (U+202E)
 * make `exe.txt` read as `txt.exe`. Human output therefore shows every such character as a visible
 * escape (`\x1b`, `\u202e`), never as itself. `--json` output is JSON and is not touched.
 */

/** Named escapes for the three controls people recognise. */
const NAMED: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/**
 * C0 and C1 controls and DEL; the Arabic letter mark, LRM/RLM, line and paragraph separators, the
 * bidi embeddings, overrides and isolates; the BOM. Zero-width joiners stay: emoji sequences need them.
 */
function isUnsafe(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function escapeUnit(code: number): string {
  return NAMED[code] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * The text with every control, bidi and invisible formatting character — and every lone surrogate,
 * which a terminal cannot show — written as a visible escape (`\x1b`, `\u202e`). Idempotent.
 */
export function escapeForTerminal(text: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (isHigh(code) && isLow(text.charCodeAt(i + 1))) {
      i += 1;
      continue;
    }
    if (!isUnsafe(code) && !isHigh(code) && !isLow(code)) continue;
    out += text.slice(start, i) + escapeUnit(code);
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

/**
 * A multi-line text as lines to print, each escaped: the line breaks are the renderer's, so they stay
 * breaks (a `\r` inside a line is still escaped — it would overwrite the line).
 */
export function terminalLines(text: string): string[] {
  return text.split('\n').map(escapeForTerminal);
}
