// An Express API protected by Keycloak (or ZTrust) access tokens, validated with jose.
//
// The realm's keys come from its JWKS (`createRemoteJWKSet` caches them and refetches on an
// unknown `kid`); every token must name this realm as `iss` and this API in `aud`, and each route
// asks for a realm role from `realm_access.roles`. When the keys cannot be had (Keycloak down,
// slow, answering garbage), the API answers 503, not 401: the token may be fine.

import express from 'express';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

/** Errors that say the keys could not be had, not that the token is bad. */
const keysUnavailable = (error) =>
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
  error instanceof TypeError; // fetch failed: refused or dropped connection

/**
 * @param {{ serverUrl: string, realm: string, audience: string, jwksTimeoutMs?: number,
 *   jwksCooldownMs?: number }} settings
 *   Keycloak's server URL (e.g. https://sso.example.com), the realm, and this API's client id
 *   (Keycloak puts it in `aud` through an audience mapper or a client scope); how long a JWKS
 *   fetch may take (jose's default 5 s) and how long after one no other is made for an unknown
 *   `kid` (jose's default 30 s: a token signed by a key Keycloak rotated in meanwhile is refused
 *   that long).
 */
export function createApp({ serverUrl, realm, audience, jwksTimeoutMs = 5000, jwksCooldownMs = 30_000 }) {
  const issuer = `${serverUrl.replace(/\/$/, '')}/realms/${realm}`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`), {
    timeoutDuration: jwksTimeoutMs,
    cooldownDuration: jwksCooldownMs,
  });

  /** Verifies the bearer token; 401 (RFC 6750) when it is missing or not valid here. */
  async function authenticate(req, res, next) {
    const [scheme, token] = (req.get('authorization') ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      res.set('WWW-Authenticate', 'Bearer').status(401).json({ error: 'missing bearer token' });
      return;
    }
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] });
      req.auth = payload;
      next();
    } catch (error) {
      if (keysUnavailable(error)) {
        res.set('Retry-After', '5').status(503).json({ error: 'keys_unavailable', reason: error.code ?? error.name });
        return;
      }
      if (!(error instanceof errors.JOSEError)) return next(error);
      res
        .set('WWW-Authenticate', `Bearer error="invalid_token", error_description="${error.code}"`)
        .status(401)
        .json({ error: 'invalid_token', reason: error.code });
    }
  }

  /** 403 unless the token carries the realm role. */
  const requireRealmRole = (role) => (req, res, next) => {
    const roles = req.auth.realm_access?.roles ?? [];
    if (roles.includes(role)) return next();
    res.status(403).json({ error: 'insufficient_role', required: role });
  };

  const app = express();
  app.get('/messages', authenticate, requireRealmRole('user'), (req, res) => {
    res.json({ for: req.auth.preferred_username, messages: ['hello'] });
  });
  app.get('/admin/stats', authenticate, requireRealmRole('admin'), (req, res) => {
    res.json({ users: 3 });
  });
  return app;
}
