// openid-client v6 (panva) at a realm that demands DPoP server nonces (RFC 9449 §8): the first
// token request with a proof is answered `use_dpop_nonce` with a `DPoP-Nonce` header, and the
// library retries with the nonce in a fresh proof, as it does against real servers.
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

// Every token endpoint answer, to show the retry happened.
const seen = [];
const observing = async (url, options) => {
  const response = await fetch(url, options);
  if (String(url).endsWith('/token')) {
    const body = await response.clone().json().catch(() => ({}));
    seen.push({ status: response.status, error: body.error, nonce: response.headers.get('dpop-nonce') });
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
];

const ok = await runSteps('openid-client DPoP nonce', steps);
process.exit(ok ? 0 : 1);
