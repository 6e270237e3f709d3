// openid-client v6 (panva) at a realm that demands DPoP server nonces (RFC 9449 §8, §9): the
// first token request with a proof is answered `use_dpop_nonce` with a `DPoP-Nonce` header, and
// the library retries with the nonce in a fresh proof, as it does against real servers; so does
// a userinfo request (a protected resource: 401 with the error in the `DPoP` challenge).
//
//   node dpop-nonce.mjs http://127.0.0.1:PORT/demo
//
// The mock must run the generic provider with a World whose realm sets `dpop_nonce = true`
// (fixtures/worlds/dpop-nonce.toml). Run by tests/e2e/node_client.rs; prints one line per step
// and a summary line ("openid-client DPoP nonce: N passed, M failed").

import * as client from 'openid-client';
import * as jose from 'jose';
import { check, equal, runSteps } from './steps.mjs';

const insecure = { execute: [client.allowInsecureRequests] };
const issuer = new URL(process.argv[2] ?? '');
const s = {};

// Every token endpoint answer, to show the retry happened; and every userinfo answer.
const seen = [];
const resource = [];
const observing = async (url, options) => {
  const response = await fetch(url, options);
  if (String(url).endsWith('/token')) {
    const body = await response.clone().json().catch(() => ({}));
    seen.push({ status: response.status, error: body.error, nonce: response.headers.get('dpop-nonce') });
  }
  if (String(url).endsWith('/userinfo')) {
    resource.push({
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      nonce: response.headers.get('dpop-nonce'),
    });
  }
  return response;
};

const steps = [
  ['a client_credentials grant with a DPoP handle gets a bound token after one nonce retry', async () => {
    s.config = await client.discovery(issuer, 'service', 'service-secret', client.ClientSecretBasic(), insecure);
    s.config[client.customFetch] = observing;
    s.keyPair = await client.randomDPoPKeyPair('ES256');
    s.dpop = client.getDPoPHandle(s.config, s.keyPair);
    const tokens = await client.clientCredentialsGrant(s.config, { scope: 'openid' }, { DPoP: s.dpop });
    equal(tokens.token_type.toLowerCase(), 'dpop', 'token_type');
    const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(s.keyPair.publicKey));
    equal(jose.decodeJwt(tokens.access_token).cnf?.jkt, jkt, 'cnf.jkt');
    equal(seen.length, 2, 'token endpoint answers');
    equal(seen[0].status, 400, 'first answer status');
    equal(seen[0].error, 'use_dpop_nonce', 'first answer error');
    check(seen[0].nonce, 'the refusal carries a DPoP-Nonce header');
    equal(seen[1].status, 200, 'the retry');
    return `nonce ${seen[0].nonce} then 200`;
  }],

  ['the handle keeps the nonce: the next grant needs no retry', async () => {
    seen.length = 0;
    const tokens = await client.clientCredentialsGrant(s.config, { scope: 'openid' }, { DPoP: s.dpop });
    equal(tokens.token_type.toLowerCase(), 'dpop', 'token_type');
    equal(seen.length, 1, 'token endpoint answers');
    return 'one request';
  }],

  ['userinfo demands the nonce too, and the library retries there (RFC 9449 §9)', async () => {
    const config = await client.discovery(issuer, 'web-app', 'web-app-secret', client.ClientSecretBasic(), insecure);
    config[client.customFetch] = observing;
    const tokens = await client.genericGrantRequest(
      config,
      'password',
      { username: 'alice', password: 'alice-password', scope: 'openid' },
      { DPoP: client.getDPoPHandle(config, s.keyPair) },
    );
    equal(tokens.token_type.toLowerCase(), 'dpop', 'token_type');
    // A handle that has seen no nonce yet: the first userinfo request carries none.
    const fresh = client.getDPoPHandle(config, s.keyPair);
    const info = await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck, { DPoP: fresh });
    equal(info.sub, '7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b', 'sub');
    equal(resource.length, 2, 'userinfo answers');
    equal(resource[0].status, 401, 'first answer status');
    check(resource[0].challenge?.includes('error="use_dpop_nonce"'), 'the challenge names use_dpop_nonce');
    check(resource[0].nonce, 'the refusal carries a DPoP-Nonce header');
    equal(resource[1].status, 200, 'the retry');
    return `401 use_dpop_nonce then 200 for ${info.sub}`;
  }],
];

const ok = await runSteps('openid-client DPoP nonce', steps);
process.exit(ok ? 0 : 1);
