/**
 * Text from a hostile file (tensor names, JSON parser snippets, ZIP entry names) goes into
 * error messages that the CLI prints as one line: these helpers keep it one printable line.
 */

/** C0 controls (newlines, ESC), DEL, C1 controls (a CSI on some terminals), line/paragraph separators. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `s` with every character that could break a line or drive a terminal escaped as \uXXXX. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A name from a file, quoted for a message: a JSON string, unprintables escaped, cut after `max` characters. */
export function quote(s: string, max = 200): string {
  return printable(JSON.stringify(s.length > max ? `${s.slice(0, max)}...` : s));
}

/** A few words about any value for a message; never recurses, so never throws on deep or cyclic values. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return quote(v, 40);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined)
    return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `a ${typeof v}`;
}
