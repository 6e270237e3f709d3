// An Express API protected by Keycloak (or ZTrust) access tokens, validated with jose.
//
// The realm's keys come from its JWKS (`createRemoteJWKSet` caches them and refetches on an
// unknown `kid`); every token must name this realm as `iss` and this API in `aud`, and each route
// asks for a realm role from `realm_access.roles`.

import express from 'express';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

/**
 * @param {{ serverUrl: string, realm: string, audience: string }} settings
 *   Keycloak's server URL (e.g. https://sso.example.com), the realm, and this API's client id
 *   (Keycloak puts it in `aud` through an audience mapper or a client scope).
 */
export function createApp({ serverUrl, realm, audience }) {
  const issuer = `${serverUrl.replace(/\/$/, '')}/realms/${realm}`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));

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
