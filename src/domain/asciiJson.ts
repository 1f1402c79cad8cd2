const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_ALL = /[^\x00-\x7f]/g;
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `JSON.stringify(value)` with every character past ASCII written as a `\u` escape: the same JSON
 * value, one byte per character, so its length is its size in bytes and it can go to the socket
 * without UTF-8 encoding (the lookup answer is built from such pieces).
 */
export function asciiJson(value: unknown): string {
  const text = JSON.stringify(value);
  return NON_ASCII.test(text) ? text.replace(NON_ASCII_ALL, escape) : text;
}
