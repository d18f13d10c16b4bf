/**
 * The pure pieces under body handling: media-type parsing, the body treatment decision, and strict
 * decoding with byte offsets (edge case 7), checked against Node's own UTF-8 validator.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyTreatment, parseMediaType } from '../src/http/body/media-type.ts';
import { createStreamingTextCheck, decodeStrict, decodeWindows1252, findInvalidUtf8, resolveCharset, Utf8Validator } from '../src/http/body/text-decoding.ts';

describe('media types', () => {
  it.each([
    ['application/json', { essence: 'application/json' }],
    ['Application/JSON; Charset="UTF-8"', { essence: 'application/json', charset: 'utf-8' }],
    ['text/html;charset=ISO-8859-1;boundary=x', { essence: 'text/html', charset: 'iso-8859-1' }],
    ['', { essence: '' }],
    ['nonsense', { essence: '' }],
  ])('parses %j', (header, expected) => {
    expect(parseMediaType(header)).toEqual(expected);
  });

  it.each([
    ['application/json', 'json'],
    ['application/vnd.github+json', 'json'],
    ['text/csv', 'text'],
    ['application/xml', 'text'],
    ['image/svg+xml', 'text'],
    ['application/octet-stream', 'binary'],
    ['application/pdf', 'binary'],
    ['application/x-custom; charset=utf-8', 'text'],
    ['', 'sniff'],
  ])('treats %j as %s', (header, treatment) => {
    expect(bodyTreatment(parseMediaType(header))).toBe(treatment);
  });
});

describe('strict decoding with offsets (edge case 7)', () => {
  it('the UTF-8 validator agrees with Node on arbitrary bytes, and its offset is where validity ends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const offset = findInvalidUtf8(bytes);
        expect(offset === -1).toBe(isUtf8(bytes));
        if (offset >= 0) {
          expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
        }
      }),
      { numRuns: 2_000, seed: 20_260_101 },
    );
  });

  it('chunk boundaries never change the verdict or the offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.array(fc.nat(48), { maxLength: 6 }), (bytes, cuts) => {
        const validator = new Utf8Validator();
        let start = 0;
        for (const cut of [...new Set(cuts)].sort((a, b) => a - b).filter((c) => c <= bytes.length)) {
          validator.push(bytes.subarray(start, cut));
          start = cut;
        }
        validator.push(bytes.subarray(start));
        expect(validator.end()).toBe(findInvalidUtf8(bytes));
      }),
      { numRuns: 1_000, seed: 7 },
    );
  });

  it('rejects overlongs, surrogates and code points above U+10FFFF at their first byte', () => {
    expect(findInvalidUtf8(Buffer.from([0x41, 0xc0, 0xaf]))).toBe(1); // overlong "/"
    expect(findInvalidUtf8(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toBe(2); // U+D800
    expect(findInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // U+110000
    expect(findInvalidUtf8(Buffer.from('héllo wörld €'))).toBe(-1);
  });

  it('windows-1252 (what latin1 means on the web) maps 0x80–0x9F as the WHATWG standard says', () => {
    expect(resolveCharset('latin1')).toEqual({ ok: true, encoding: 'windows-1252' });
    expect(decodeWindows1252(Buffer.from([0x80, 0x93, 0x94, 0x99, 0xe9, 0x81]))).toBe('€“”™é\u0081');
    expect(decodeStrict(Buffer.from([0x93, 0x68, 0x69, 0x94]), 'windows-1252')).toEqual({ ok: true, text: '“hi”' });
  });

  it('locates a bad byte in a multi-byte charset other than UTF-8 (shift_jis) by bisection', () => {
    const good = Buffer.from([0x82, 0xa0, 0x82, 0xa2]); // あい
    expect(decodeStrict(good, 'shift_jis')).toEqual({ ok: true, text: 'あい' });
    const bad = Buffer.from([0x82, 0xa0, 0x41, 0x82, 0x20, 0x42]); // 0x82 0x20 is not a character
    const decoded = decodeStrict(bad, 'shift_jis');
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.failure.offset).toBe(3);
  });

  it('the streaming check of a non-UTF-8 charset reports the failing chunk, marked inexact', () => {
    const check = createStreamingTextCheck('shift_jis');
    check.push(Buffer.from([0x82, 0xa0, 0x41]));
    check.push(Buffer.from([0x82, 0x20]));
    expect(check.end()).toEqual({ offset: 3, exact: false });
  });

  it('an unknown charset label is reported, not thrown', () => {
    expect(resolveCharset('x-klingon')).toEqual({ ok: false, label: 'x-klingon' });
    expect(resolveCharset(undefined)).toEqual({ ok: true, encoding: 'utf-8' });
  });
});
