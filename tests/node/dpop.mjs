// openid-client v6 (panva) binding its tokens with DPoP (RFC 9449) at the mock's Keycloak
// flavor: getDPoPHandle with a fresh ES256 key pair, the code flow, userinfo, and the misuses a
// resource must refuse (the token as a bearer token, a proof of another key).
//
//   node dpop.mjs http://127.0.0.1:PORT/realms/demo
//
// The mock must run with auto_approve and the Keycloak provider. Run by
// tests/e2e/node_client.rs; prints one line per step and a summary line
// ("openid-client DPoP: N passed, M failed"), and exits non-zero on the first failure.

import * as client from 'openid-client';
import * as jose from 'jose';
import { inspect } from 'node:util';
import { AssertionFailed, check, equal, runSteps } from './steps.mjs';

const REDIRECT = 'http://127.0.0.1:5000/callback';
const insecure = { execute: [client.allowInsecureRequests] };

const issuer = new URL(process.argv[2] ?? '');

const s = {};

const steps = [
  ['discovery advertises ES256 DPoP proofs', async () => {
    s.config = await client.discovery(issuer, 'web-app', 'web-app-secret', client.ClientSecretBasic(), insecure);
    const algs = s.config.serverMetadata().dpop_signing_alg_values_supported;
    check(Array.isArray(algs) && algs.includes('ES256'), `dpop_signing_alg_values_supported: ${inspect(algs)}`);
    s.keyPair = await client.randomDPoPKeyPair('ES256');
    s.dpop = client.getDPoPHandle(s.config, s.keyPair);
    s.jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(s.keyPair.publicKey));
    return algs.join(' ');
  }],

  ['the code flow with a DPoP handle gets a token bound to the key', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(s.config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      login_hint: 'alice',
    });
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    check(response.status === 302 && location, `expected 302, got ${response.status}: ${await response.text()}`);
    const tokens = await client.authorizationCodeGrant(
      s.config,
      new URL(location),
      { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true },
      undefined,
      { DPoP: s.dpop },
    );
    equal(tokens.token_type, 'dpop', 'token_type');
    const claims = jose.decodeJwt(tokens.access_token);
    equal(claims.cnf?.jkt, s.jkt, 'access token cnf.jkt');
    equal(claims.typ, 'DPoP', 'access token typ');
    s.accessToken = tokens.access_token;
    s.sub = tokens.claims().sub;
    return `cnf.jkt=${claims.cnf.jkt}`;
  }],

  ['fetchUserInfo with the handle gets alice', async () => {
    const userinfo = await client.fetchUserInfo(s.config, s.accessToken, s.sub, { DPoP: s.dpop });
    equal(userinfo.sub, s.sub, 'userinfo sub');
    equal(userinfo.preferred_username, 'alice', 'preferred_username');
    return `sub=${userinfo.sub}`;
  }],

  ['the bound token as a bearer token is refused', async () => {
    const userinfo = s.config.serverMetadata().userinfo_endpoint;
    const response = await fetch(userinfo, { headers: { Authorization: `Bearer ${s.accessToken}` } });
    equal(response.status, 401, 'status');
    const challenge = response.headers.get('www-authenticate') ?? '';
    check(challenge.startsWith('Bearer '), `WWW-Authenticate: ${inspect(challenge)}`);
    return challenge;
  }],

  ['a proof of another key is refused', async () => {
    const thief = client.getDPoPHandle(s.config, await client.randomDPoPKeyPair('ES256'));
    try {
      await client.fetchUserInfo(s.config, s.accessToken, s.sub, { DPoP: thief });
    } catch (err) {
      const status = err?.response?.status ?? err?.status;
      equal(status, 401, `status of ${inspect(err)}`);
      const challenge = err?.response?.headers?.get('www-authenticate') ?? '';
      check(challenge.startsWith('DPoP '), `WWW-Authenticate: ${inspect(challenge)}`);
      return challenge.slice(0, 60);
    }
    throw new AssertionFailed('a proof of another key was accepted');
  }],
];

const ok = await runSteps('openid-client DPoP', steps);
process.exit(ok ? 0 : 1);
