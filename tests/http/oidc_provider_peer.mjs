// A strict OpenID provider for the sign-in tests: panva's oidc-provider with PKCE required.
//
// Usage: node oidc_provider_peer.mjs <folder with node_modules/oidc-provider> <redirect URI> <users JSON>
// Prints the issuer URL on its first line once listening; stops when stdin closes.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, redirectUri, usersJson] = process.argv.slice(2);
const users = JSON.parse(usersJson);
const entry = createRequire(`${modules}/`).resolve('oidc-provider');
const { default: Provider } = await import(pathToFileURL(entry).href);

const server = createServer();
await new Promise((resolve) => server.listen(0, 'localhost', resolve));
const issuer = `http://localhost:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'periscope',
    client_secret: 's3cret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'email', 'groups', 'profile'],
  claims: { openid: ['sub'], email: ['email'], groups: ['groups'], profile: [] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    if (!users[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...users[id] }) };
  },
});
server.on('request', provider.callback());
process.stdout.write(`${issuer}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
