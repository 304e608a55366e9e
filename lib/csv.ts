/*
 * CSV as Excel opens it (RFC 4180): UTF-8 with a byte-order mark (without it Excel reads Korean
 * as the system's code page), CRLF line ends, a field quoted when it holds a comma, a quote or a
 * line break. A text field that a spreadsheet would take as a formula (=, +, -, @, a tab or CR
 * first: OWASP's "CSV injection") starts with an apostrophe instead: a camera's name is data
 * from the site. Numbers are written as they are.
 */

const FORMULA = /^[=+\-@\t\r]/

export type Cell = string | number | boolean | null | undefined

function field (v: Cell): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  if (typeof v === 'boolean') return String(v)
  const s = FORMULA.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv (rows: ReadonlyArray<ReadonlyArray<Cell>>): string {
  return '\uFEFF' + rows.map(r => r.map(field).join(',')).join('\r\n') + '\r\n'
}
