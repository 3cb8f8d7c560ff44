/**
 * Escaping of untrusted text for the report formats.
 *
 * @module
 */

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text safe inside HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml(`<b a="1">&`); // "&lt;b a=&quot;1&quot;&gt;&amp;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/**
 * Text safe as inline Markdown (including a table cell): backslash-escapes the characters that start emphasis,
 * code, links, HTML or cell breaks, and turns line breaks into spaces.
 *
 * @example
 * ```ts
 * escapeMarkdown("μ_SI | *α*"); // "μ\\_SI \\| \\*α\\*"
 * ```
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}
