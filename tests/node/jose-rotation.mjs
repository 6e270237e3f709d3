// jose (panva) verifying the mock's tokens across a key rotation: a resource server's view.
// Input (env): ISSUER, JWKS_URL, TOKENS (a JSON object name -> token). Output: one JSON line,
// name -> "ok" or the jose error code. A fresh process has a fresh JWKS cache.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL), { timeoutDuration: 5000 });
const tokens = JSON.parse(process.env.TOKENS);
const results = {};
for (const [name, token] of Object.entries(tokens)) {
  try {
    await jwtVerify(token, jwks, { issuer: process.env.ISSUER });
    results[name] = 'ok';
  } catch (err) {
    results[name] = err.code ?? String(err);
  }
}
console.log(JSON.stringify(results));
