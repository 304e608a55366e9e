import * as client from 'openid-client'
import { allows, type Role } from './roles.js'

/*
 * Single sign-on (issue 26, 3): OpenID Connect's authorization code flow with PKCE, by the
 * `openid-client` library (discovery, state, nonce, the ID token's signature and claims are its
 * work). What it gives back is mapped to a person: the IdP's subject, a name, and roles from the
 * groups claim through the regions file's `groups`.
 */

export class SsoError extends Error {
  override name = 'SsoError'
}

export interface SsoSettings {
  issuer: string
  clientId: string
  clientSecret: string
  scopes: string
  groupsClaim: string
  timeoutSeconds: number
}

/** What the gateway keeps in the browser session between the redirect and the callback. */
export interface SsoPending { state: string, nonce: string, verifier: string, next: string, redirectUri: string }

export interface SsoIdentity { subject: string, username: string, displayName: string | undefined, groups: string[] }

/** http:// is for an IdP on this machine only (tests, a local Keycloak); anywhere else it must be https. */
function loopback (url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
}

export class Sso {
  private config?: Promise<client.Configuration>

  constructor (private readonly settings: SsoSettings) {}

  /** The IdP's metadata, discovered once; a failed discovery is tried again next time. */
  private async configuration (): Promise<client.Configuration> {
    const issuer = new URL(this.settings.issuer)
    this.config ??= client.discovery(issuer, this.settings.clientId, this.settings.clientSecret, client.ClientSecretBasic(this.settings.clientSecret), {
      timeout: this.settings.timeoutSeconds,
      execute: issuer.protocol === 'http:' && loopback(issuer) ? [client.allowInsecureRequests] : []
    })
    try {
      return await this.config
    } catch (err) {
      this.config = undefined
      throw new SsoError(`the identity provider (${issuer.origin}) cannot be reached or read: ${(err as Error).message}`)
    }
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async start (redirectUri: string, next: string): Promise<{ url: string, pending: SsoPending }> {
    const config = await this.configuration()
    const verifier = client.randomPKCECodeVerifier()
    const pending: SsoPending = { state: client.randomState(), nonce: client.randomNonce(), verifier, next, redirectUri }
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce
    })
    return { url: url.href, pending }
  }

  /** The callback's URL checked (state, PKCE, nonce, the ID token) and exchanged: who signed in. */
  async finish (callbackUrl: URL, pending: SsoPending): Promise<SsoIdentity> {
    const config = await this.configuration()
    let tokens
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true
      })
    } catch (err) {
      throw new SsoError(`the sign-in did not complete: ${(err as Error).message}`)
    }
    const claims = tokens.claims()
    if (claims === undefined) throw new SsoError('the identity provider sent no ID token')
    // Groups are often in the UserInfo answer only (not in the ID token): both are read.
    let info: Record<string, unknown> = {}
    try {
      info = await client.fetchUserInfo(config, tokens.access_token, claims.sub) as Record<string, unknown>
    } catch { /* the ID token's claims suffice when there is no UserInfo */ }
    const all: Record<string, unknown> = { ...info, ...claims }
    const groups = [all[this.settings.groupsClaim], info[this.settings.groupsClaim]].find(Array.isArray) as unknown[] | undefined
    const name = [all.preferred_username, all.email, claims.sub].find(v => typeof v === 'string' && v !== '') as string
    return {
      subject: claims.sub,
      username: name,
      displayName: typeof all.name === 'string' ? all.name : undefined,
      groups: (groups ?? []).filter((g): g is string => typeof g === 'string')
    }
  }
}

/** A person's roles from their groups: per region the highest any of their groups grants. */
export function rolesOfGroups (groups: readonly string[], mapping: ReadonlyMap<string, ReadonlyMap<string, Role>>): Map<string, Role> {
  const roles = new Map<string, Role>()
  for (const g of groups) {
    for (const [region, role] of mapping.get(g) ?? []) {
      if (!allows(roles.get(region), role)) roles.set(region, role)
    }
  }
  return roles
}
