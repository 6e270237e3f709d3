// Runs the API: KEYCLOAK_SERVER_URL, KEYCLOAK_REALM, API_AUDIENCE (default `api`), PORT.
import { createApp } from './app.js';

const app = createApp({
  serverUrl: process.env.KEYCLOAK_SERVER_URL,
  realm: process.env.KEYCLOAK_REALM,
  audience: process.env.API_AUDIENCE ?? 'api',
});
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`listening on http://127.0.0.1:${port}`));
