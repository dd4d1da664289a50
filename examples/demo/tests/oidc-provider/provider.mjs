// Test-only OpenID Provider for the demo's integration and browser tests.
//
//   node provider.mjs [--port N] [--no-prompt-values] [--exit-with-stdin]
//
// --port N: N = 0 (the default) picks a free port.
// --no-prompt-values: leave prompt_values_supported out of discovery (as
//   oidc-provider itself does); by default it is advertised, see below.
//
// Binds 127.0.0.1 only. When ready it prints exactly one line of JSON on
// stdout, {"issuer":"http://127.0.0.1:PORT","port":PORT}, and nothing else
// ever goes to stdout (oidc-provider's notices and our logs go to stderr).
// It serves until SIGTERM or SIGINT and then exits with status 0.
//
// Development grade on purpose: signing key and cookie keys are generated at
// start, everything is kept in memory (oidc-provider's dev adapter), and all
// passwords are "password". Never use this outside tests.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

// oidc-provider prints its "NOTICE" lines with console.info, i.e. on stdout.
// stdout is reserved for the ready line, so send console.log/info to stderr
// before the library is loaded (hence the dynamic import below).
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);

const { default: Provider, interactionPolicy } = await import('oidc-provider');

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const out = { port: 0, promptValues: true };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-prompt-values') {
      out.promptValues = false;
    } else if (arg === '--exit-with-stdin') {
      // handled at the end of the file
    } else if (arg === '--port') {
      out.port = Number(argv[i += 1]);
    } else if (arg.startsWith('--port=')) {
      out.port = Number(arg.slice('--port='.length));
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) {
    throw new Error('--port must be an integer between 0 and 65535');
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));

// ----------------------------------------------------------------- accounts

const CLIENT_ID = 'multi-account-demo';
const CLIENT_SECRET = 'demo-secret';
const PASSWORD = 'password';
const GRANTED_SCOPE = 'openid email profile';

// Order matters for login by email: "alice@example.com" resolves to alice
// (the first match); mallory, who claims the same but unverified address,
// signs in with her sub "mallory". POST /test/accounts changes an account's
// email (or adds an account), as a person can at a real provider.
const ACCOUNTS = [
  { sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
  { sub: 'bob', email: 'bob@example.com', email_verified: true, name: 'Bob Example' },
  { sub: 'carol', email: 'carol@example.com', email_verified: true, name: 'Carol Example' },
  { sub: 'dave', email: 'dave@example.com', email_verified: true, name: 'Dave Example' },
  { sub: 'erin', email: 'erin@example.com', email_verified: true, name: 'Erin Example' },
  { sub: 'mallory', email: 'alice@example.com', email_verified: false, name: 'Mallory Example' },
];

function accountBySub(sub) {
  return ACCOUNTS.find((a) => a.sub === sub);
}

function accountByLogin(login) {
  const value = String(login ?? '').trim();
  return accountBySub(value) ?? ACCOUNTS.find((a) => a.email === value.toLowerCase());
}

async function findAccount(_ctx, sub) {
  const account = accountBySub(sub);
  if (!account) return undefined;
  return {
    accountId: account.sub,
    // oidc-provider filters this by the granted scopes/claims.
    async claims() {
      return {
        sub: account.sub,
        email: account.email,
        email_verified: account.email_verified,
        name: account.name,
      };
    },
  };
}

// ---------------------------------------------------------------- test log

// Every request that reaches the authorization endpoint (route
// "authorization": GET or POST /auth; the internal /auth/:uid resume after an
// interaction is not a new request and is not logged).
const authorizations = [];
const INTERACTION_PROMPT = Symbol('interactionPrompt');

function rawParam(ctx, name) {
  const fromQuery = ctx.query?.[name];
  if (fromQuery !== undefined) return fromQuery;
  const fromBody = ctx.oidc?.body?.[name];
  return fromBody === undefined ? null : fromBody;
}

function recordAuthorization(ctx, issuer) {
  const params = ctx.oidc?.params;
  const location = ctx.response.get('Location') || null;
  let interaction = false;
  let outcome;
  let error = null;
  if (location) {
    const target = new URL(location, issuer);
    if (target.origin === new URL(issuer).origin && target.pathname.startsWith('/interaction/')) {
      interaction = true;
      outcome = 'interaction';
    } else if (target.searchParams.has('error')) {
      outcome = 'error';
      error = target.searchParams.get('error');
    } else if (target.searchParams.has('code')) {
      outcome = 'silent';
    } else {
      outcome = 'redirect';
    }
  } else {
    outcome = ctx.status >= 400 ? 'error' : 'other';
    error = ctx.oidc?.[Symbol.for('lastError')] ?? null;
  }

  let parsedPrompt = null;
  let prompts = [];
  try {
    parsedPrompt = params?.prompt ?? null;
    prompts = params ? [...ctx.oidc.prompts] : [];
  } catch {
    // params not parsed (request rejected very early)
  }

  const ip = ctx[INTERACTION_PROMPT];
  authorizations.push({
    at: new Date().toISOString(),
    method: ctx.method,
    client_id: params?.client_id ?? rawParam(ctx, 'client_id'),
    prompt: parsedPrompt, // as the provider parsed it (string or null)
    prompts, // the same, split into values
    prompt_raw: rawParam(ctx, 'prompt'), // the raw query/body value
    login_hint: params?.login_hint ?? rawParam(ctx, 'login_hint'),
    redirect_uri: params?.redirect_uri ?? rawParam(ctx, 'redirect_uri'),
    state: params?.state ?? rawParam(ctx, 'state'),
    interaction, // true: sent to the login page; false: answered without one
    interaction_prompt: ip ? ip.name : null, // "login" / "consent"
    interaction_reasons: ip ? ip.reasons : [],
    outcome, // interaction | silent (code) | error | redirect | other
    error,
    status: ctx.status,
  });
}

// -------------------------------------------------------------------- html

function esc(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function send(res, status, html, headers = {}) {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function sendJson(res, status, value) {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function loginPage(details, { error, login } = {}) {
  const { uid, prompt, params } = details;
  const hint = params.login_hint ?? '';
  const value = login ?? hint;
  return page('Sign in', `<h1>Sign in to the test provider</h1>
<p>Client: <span id="client-id">${esc(params.client_id)}</span></p>
<p>Prompt: <span id="prompt">${esc(prompt.name)}</span>
 (reasons: <span id="prompt-reasons">${esc(prompt.reasons.join(' '))}</span>;
 requested prompt: <span id="requested-prompt">${esc(params.prompt ?? '')}</span>)</p>
<p>Login hint: <span id="login-hint">${esc(hint)}</span></p>
${error ? `<p id="error">${esc(error)}</p>\n` : ''}<form id="login-form" method="post" action="/interaction/${esc(uid)}/login">
  <label for="login">Email or user id</label>
  <input id="login" name="login" type="text" autocomplete="username" value="${esc(value)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit">Sign in</button>
</form>
<form id="abort-form" method="post" action="/interaction/${esc(uid)}/abort">
  <button id="abort" type="submit">Cancel</button>
</form>`);
}

function errorPage(res, status, message) {
  send(res, status, page('Error', `<h1>Error</h1>\n<p id="error">${esc(message)}</p>`));
}

// ------------------------------------------------------------ interactions

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// A grant for everything this client may ask for; saved, and its id handed
// back as the consent result, so no consent page is ever shown.
async function saveGrant(provider, details, accountId) {
  let grant;
  if (details.grantId && details.session?.accountId === accountId) {
    grant = await provider.Grant.find(details.grantId);
  }
  const isNew = !grant;
  grant ??= new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(GRANTED_SCOPE);
  const missing = details.prompt?.details ?? {};
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return isNew ? { grantId } : {};
}

async function handleInteraction(provider, req, res, url) {
  const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?\/?$/.exec(url.pathname);
  if (!match) return errorPage(res, 404, 'not found');
  const [, uid, action] = match;

  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    console.error(`interaction ${uid}: ${err.name}: ${err.message}`);
    return errorPage(res, 400, `interaction not found or expired (${err.message})`);
  }
  if (details.uid !== uid) {
    return errorPage(res, 400, 'interaction cookie does not match this interaction');
  }

  if (!action) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return errorPage(res, 405, 'method not allowed');
    if (details.prompt.name === 'login') {
      return send(res, 200, loginPage(details));
    }
    if (details.prompt.name === 'consent') {
      const consent = await saveGrant(provider, details, details.session.accountId);
      return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    }
    return errorPage(res, 400, `unsupported prompt ${details.prompt.name}`);
  }

  if (req.method !== 'POST') return errorPage(res, 405, 'method not allowed');
  const form = await readForm(req);

  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  // action === 'login'
  if (details.prompt.name !== 'login') {
    return errorPage(res, 400, `this interaction asks for ${details.prompt.name}, not login`);
  }
  const login = form.get('login') ?? '';
  const account = accountByLogin(login);
  if (!account || form.get('password') !== PASSWORD) {
    return send(res, 401, loginPage(details, { error: 'Invalid login or password.', login }));
  }

  const consent = await saveGrant(provider, details, account.sub);
  return provider.interactionFinished(req, res, {
    login: { accountId: account.sub },
    consent,
  }, { mergeWithLastSubmission: false });
}

// A form with `sub` and `email` (and optionally `email_verified`, "true" or
// "false", and `name`): changes the account with that sub, or adds one. The
// next ID token for it carries the new claims. Resolves to the account, or
// to null when sub or email is missing.
async function setAccount(req) {
  const form = await readForm(req);
  const sub = form.get('sub') ?? '';
  const email = form.get('email') ?? '';
  if (!sub || !email) return null;
  let account = accountBySub(sub);
  if (!account) {
    account = { sub, email, email_verified: true, name: sub };
    ACCOUNTS.push(account);
  }
  account.email = email;
  if (form.has('email_verified')) account.email_verified = form.get('email_verified') === 'true';
  if (form.has('name')) account.name = form.get('name');
  return account;
}

// --------------------------------------------------------------------- keys

function generateSigningJwk() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

// ---------------------------------------------------------- configuration

function makeConfiguration() {
  // The consent prompt's "native_client_prompt" check asks native clients
  // for an interaction on every authorization request. That would make the
  // "already signed in at the provider, answered silently" case impossible,
  // so it is removed; all other login/consent checks stay as they are.
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');

  // oidc-provider v9 does not advertise prompt_values_supported on its own.
  // Advertise what this policy really accepts: "none" plus the requestable
  // prompts, i.e. none login consent -- no select_account (a request with
  // prompt=select_account is refused with invalid_request).
  const promptValues = ['none', ...policy.filter((p) => p.requestable).map((p) => p.name)];

  return {
    discovery: args.promptValues ? { prompt_values_supported: promptValues } : {},
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      // application_type "native" gives RFC 8252 section 7.3 loopback
      // redirects: for http://127.0.0.1 / [::1] / localhost redirect URIs
      // oidc-provider compares them with the port ignored (Client
      // #redirectAllowed -> stripLoopbackPort), so the app may listen on
      // any port of 127.0.0.1 while path, query and host must still match.
      // A native client may still be confidential (client_secret_basic).
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/oidc/callback'],
      scope: GRANTED_SCOPE,
    }],
    clientBasedCORS: () => false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    // Put the scope-requested claims into the ID token itself, even though
    // an access token is issued too (default true puts them only in userinfo).
    conformIdTokenClaims: false,
    cookies: {
      // The app runs on 127.0.0.1 as well; cookies are not separated by
      // port, so give the provider's cookies names the app will not use.
      names: {
        session: 'op_session',
        interaction: 'op_interaction',
        resume: 'op_interaction_resume',
      },
      keys: [crypto.randomBytes(32).toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    features: {
      devInteractions: { enabled: false },
      // rpInitiatedLogout stays enabled (default): oidc-provider uses its
      // end_session confirm step when someone signs in as another account.
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out', `<h1>Sign out of the test provider?</h1>
${form}
<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button id="logout-cancel" type="submit" form="op.logoutForm">Stay signed in</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<h1 id="signed-out">Signed out of the test provider</h1>');
        },
      },
    },
    findAccount,
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    jwks: { keys: [generateSigningJwk()] },
    pkce: {
      // S256 is the only method oidc-provider v9 supports.
      required: (_ctx, client) => client.clientId === CLIENT_ID,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Error</h1>
<p id="error">${esc(out.error)}</p>
<p id="error-description">${esc(out.error_description ?? '')}</p>`);
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 120,
      IdToken: 3600,
      Interaction: 900,
      Session: 86400,
      Grant: 86400,
    },
  };
}

// ------------------------------------------------------------------- server

const server = http.createServer();
let provider;
let callback;

server.on('request', (req, res) => {
  if (!provider) {
    res.writeHead(503, { 'Content-Type': 'text/plain' });
    res.end('starting\n');
    return;
  }
  const url = new URL(req.url, provider.issuer);
  const done = (err) => {
    console.error(`${req.method} ${url.pathname}: ${err.stack || err}`);
    if (!res.headersSent) errorPage(res, 500, 'internal error');
    else res.destroy();
  };

  if (url.pathname === '/test/authorizations') {
    if (req.method !== 'GET') return errorPage(res, 405, 'method not allowed');
    return sendJson(res, 200, authorizations);
  }
  if (url.pathname === '/test/accounts') {
    if (req.method !== 'POST') return errorPage(res, 405, 'method not allowed');
    setAccount(req).then(
      (account) => (account ? sendJson(res, 200, account) : errorPage(res, 400, 'sub and email are required')),
      done,
    );
    return;
  }
  if (url.pathname === '/test/reset') {
    if (req.method !== 'POST') return errorPage(res, 405, 'method not allowed');
    authorizations.length = 0;
    return sendJson(res, 200, { ok: true });
  }
  if (url.pathname.startsWith('/interaction/')) {
    handleInteraction(provider, req, res, url).catch(done);
    return;
  }
  callback(req, res);
});

server.listen(args.port, '127.0.0.1');
await new Promise((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});

const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
provider = new Provider(issuer, makeConfiguration());

provider.on('interaction.started', (ctx, prompt) => {
  ctx[INTERACTION_PROMPT] = prompt;
});
for (const event of ['authorization.error', 'grant.error', 'server_error']) {
  provider.on(event, (ctx, err) => {
    if (ctx?.oidc) ctx.oidc[Symbol.for('lastError')] = err.error ?? err.message;
    console.error(`oidc-provider ${event}: ${err.error ?? err.name}: ${err.error_description ?? err.message}`);
  });
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'authorization') {
    try {
      recordAuthorization(ctx, issuer);
    } catch (err) {
      console.error(`authorization log: ${err.stack}`);
    }
  }
});

callback = provider.callback();

process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
console.error(`test OpenID Provider ready at ${issuer}`);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`${signal}: stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// `--exit-with-stdin`: stop when stdin closes, so a test process that spawned
// the provider (and never got to kill it) does not leave it running.
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.resume();
}
