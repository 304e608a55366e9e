import type { FastifyReply } from 'fastify'

/** Text for an HTML page or mail: the five characters that could start markup, as entities. */
export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

/** A page the gateway answers itself (acknowledge links, sign-in): no script, readable on a phone. */
export function simplePage (title: string, body: string): string {
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}input,button{font-size:1rem;padding:.4rem}label{display:block;margin:.8rem 0 .2rem}.en{color:#555;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`
}


/** Such a page's own CSP: no script at all, a form that posts to this origin only. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

/**
 * Referrer-Policy same-origin, not no-referrer: the page's URL (an acknowledge link's signature) still
 * never leaves the gateway, but the browser keeps sending its Origin on the form's own POST — under
 * no-referrer Chromium sends `Origin: null`, which the cross-site check (accounts mode) refuses.
 */
export async function sendPage (reply: FastifyReply, status: number, title: string, body: string): Promise<FastifyReply> {
  return await reply.code(status).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store').header('referrer-policy', 'same-origin').send(simplePage(title, body))
}
