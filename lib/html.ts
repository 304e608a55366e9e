/** Text for an HTML page or mail: the five characters that could start markup, as entities. */
export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}
