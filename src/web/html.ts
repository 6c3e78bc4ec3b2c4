// Safe HTML building for the web pages: one escaping function and a tagged template that escapes
// every interpolated value unless it is already SafeHtml (the output of another `html` template).
// Nothing user-controlled reaches a page except through `escapeHtml`.

/** Markup that is already safe to emit (built by `html`, or a constant from our own code). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values. Also drops
 * C0 controls other than tab and newline, and DEL/C1 controls, which have no business on a page
 * (NUL in particular is rewritten by parsers).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Values a template accepts: text (escaped), numbers, SafeHtml, lists of these, or nothing. */
export type Interpolation = string | number | SafeHtml | null | undefined | false | readonly Interpolation[];

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (typeof v === 'number') return escapeHtml(String(v));
  return escapeHtml(v as string);
}

/** `html\`<p>${userText}</p>\``: every value is escaped unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Explicitly trusted markup (constants only; never user input). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * Unicode bidirectional formatting characters (embeddings, overrides, isolates, marks). In element
 * content user text is isolated with <bdi>/dir=auto instead; this is for places that cannot
 * isolate, such as <title>.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function stripBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/**
 * Shortens text to at most `max` code points (never splitting a surrogate pair), adding an
 * ellipsis; `truncated` tells whether anything was cut.
 */
export function truncate(text: string, max: number): { text: string; truncated: boolean } {
  const cps = Array.from(text);
  if (cps.length <= max) return { text, truncated: false };
  return { text: cps.slice(0, Math.max(0, max - 1)).join('').trimEnd() + '…', truncated: true };
}
