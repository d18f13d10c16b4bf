import { describe, expect, it } from 'vitest';
import { bodyTreatment, parseMediaType } from '../src/http/body/media-type.ts';

describe('Content-Type parsing (util.MIMEType)', () => {
  it.each([
    ['Application/JSON; Charset="UTF-8"', { essence: 'application/json', charset: 'utf-8' }],
    ['text/plain;charset=ISO-8859-1', { essence: 'text/plain', charset: 'iso-8859-1' }],
    ['application/vnd.api+json', { essence: 'application/vnd.api+json' }],
    ['text/html; charset=', { essence: 'text/html' }],
    ['text/csv; header=present; charset=utf-16le', { essence: 'text/csv', charset: 'utf-16le' }],
  ])('%s → %j', (header, expected) => {
    expect(parseMediaType(header)).toEqual(expected);
  });

  it.each([[''], ['   '], ['garbage'], ['text/'], ['/json'], ['text/plain/extra'], ['tëxt/plain']])('an unparsable value %j has no essence and is sniffed, never throws', (header) => {
    expect(parseMediaType(header)).toEqual({ essence: '' });
    expect(bodyTreatment(parseMediaType(header))).toBe('sniff');
  });

  it('null and undefined headers have no essence', () => {
    expect(parseMediaType(null)).toEqual({ essence: '' });
    expect(parseMediaType(undefined)).toEqual({ essence: '' });
  });
});
