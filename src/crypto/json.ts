// JSON from the network, parsed with a nesting limit. V8's JSON.parse itself is iterative, but
// what is done with the value afterwards is not: JSON.stringify (a batch sub-request's `json` is
// serialised again as its body) and any recursive walk overflow the stack on a few thousand
// levels, which anyone could send without logging in. No JSON library offers a depth limit on
// top of the native parser, so the text is scanned once, outside strings, before it is parsed.
// Every parser of untrusted JSON (request bodies, the batch list, onion framing and inner
// requests, the legacy API) goes through parseJson.

/**
 * The deepest nesting of arrays and objects accepted. Real clients stay below 10 (a batch list
 * holding a sub-request whose body holds a list is 4); 64 leaves ample room and keeps any
 * recursive walk far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

/** JSON nested deeper than allowed: a SyntaxError, so a caller treating bad JSON as one case may. */
export class JsonDepthError extends SyntaxError {
  constructor(readonly maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth} levels`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text` opens more than `max` arrays/objects at once, brackets inside strings not
 * counted. Linear; a string's contents are skipped with indexOf, so a large base64 value costs
 * little more than a memchr. Malformed text is left to JSON.parse to reject.
 */
export function jsonNestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // The closing quote is the next one not escaped by an odd run of backslashes.
      for (;;) {
        const j = text.indexOf('"', i + 1);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        i = j;
        if ((j - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse with the nesting limit: throws JsonDepthError, or SyntaxError for malformed text. */
export function parseJson(text: string | Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  if (jsonNestsDeeper(s, maxDepth)) throw new JsonDepthError(maxDepth);
  return JSON.parse(s);
}
