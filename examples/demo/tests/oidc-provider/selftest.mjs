// End-to-end check of provider.mjs with nothing but node: starts it on a free
// port, plays a browser (manual redirects, a small cookie jar) and the app's
// back channel (token endpoint), then stops it with SIGTERM.
//
//   node selftest.mjs        (after `npm ci` in this directory)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const CLIENT_ID = 'multi-account-demo';
const CLIENT_SECRET = 'demo-secret';
const APP_PORT = 5555; // the "app": nothing listens there, redirects are only read

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(err.stack || err).replaceAll('\n', '\n  ')}`);
  }
}

// ------------------------------------------------------------ start the OP

const child = spawn(process.execPath, [fileURLToPath(new URL('provider.mjs', import.meta.url)), '--port', '0'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
const stderr = [];
child.stderr.on('data', (d) => stderr.push(d));
const stdoutLines = [];
const lines = createInterface({ input: child.stdout });
const ready = new Promise((resolve, reject) => {
  lines.on('line', (line) => {
    stdoutLines.push(line);
    if (stdoutLines.length === 1) resolve(line);
  });
  child.once('exit', (code) => reject(new Error(`provider exited early (${code}): ${Buffer.concat(stderr)}`)));
  setTimeout(() => reject(new Error('provider not ready in 20 s')), 20000).unref();
});
const readyLine = await ready;
const { issuer } = JSON.parse(readyLine);

// --------------------------------------------------------- browser helpers

class Browser {
  cookies = new Map(); // name -> { value, path }

  store(res) {
    for (const header of res.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name}\t${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  async request(url, { method = 'GET', form } = {}) {
    const headers = {};
    const cookie = this.header(url);
    if (cookie) headers.cookie = cookie;
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.store(res);
    const text = await res.text();
    const location = res.headers.get('location');
    return { status: res.status, location: location && new URL(location, url).href, text, res };
  }

  // Follows redirects on the provider's origin only; stops at the first
  // response that is not a redirect or whose target is elsewhere (the app).
  async follow(url, opts) {
    let r = await this.request(url, opts);
    for (let i = 0; i < 10 && r.location && new URL(r.location).origin === issuer; i += 1) {
      r = await this.request(r.location);
    }
    return r;
  }
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authUrl(extra = {}, { port = APP_PORT, path = '/oidc/callback', challenge } = {}) {
  const url = new URL('/auth', issuer);
  const params = {
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: `http://127.0.0.1:${port}${path}`,
    state: crypto.randomBytes(8).toString('hex'),
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge_method: 'S256',
    code_challenge: challenge,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return { url: url.href, params };
}

function spanText(html, id) {
  const m = new RegExp(`<[a-z]+ id="${id}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1] : undefined;
}

function formAction(html) {
  return /<form id="login-form" method="post" action="([^"]+)"/.exec(html)?.[1];
}

async function token(code, verifier, redirectUri) {
  const res = await fetch(new URL('/token', issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...(verifier ? { code_verifier: verifier } : {}),
    }),
  });
  return { status: res.status, json: await res.json() };
}

let jwks;
async function verifyIdToken(idToken) {
  jwks ??= (await (await fetch(new URL('/jwks', issuer))).json()).keys;
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'id_token kid is in the JWKS');
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  assert.ok(ok, 'id_token signature verifies');
  return JSON.parse(Buffer.from(p, 'base64url'));
}

// Runs a whole sign-in through the login form; returns the app callback URL.
async function signIn(browser, login, extra = {}, opts = {}) {
  const { verifier, challenge } = pkce();
  const { url, params } = authUrl(extra, { ...opts, challenge });
  const first = await browser.request(url);
  assert.equal(first.status, 303);
  assert.match(first.location, new RegExp(`^${issuer}/interaction/[^/]+$`));
  const form = await browser.request(first.location);
  assert.equal(form.status, 200);
  let r = await browser.follow(new URL(formAction(form.text), issuer).href, {
    method: 'POST', form: { login, password: 'password' },
  });
  // Signing in as another account than the provider's session: oidc-provider
  // first ends the old session through an (auto-submitting) form post.
  if (r.status === 200 && r.text.includes('/session/end/confirm')) {
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(r.text)[1];
    r = await browser.follow(new URL('/session/end/confirm', issuer).href, {
      method: 'POST', form: { xsrf, logout: 'yes' },
    });
  }
  assert.equal(r.status, 303, r.text);
  const cb = new URL(r.location);
  assert.equal(cb.origin + cb.pathname, params.redirect_uri);
  assert.equal(cb.searchParams.get('state'), params.state);
  const tok = await token(cb.searchParams.get('code'), verifier, params.redirect_uri);
  assert.equal(tok.status, 200, JSON.stringify(tok.json));
  const claims = await verifyIdToken(tok.json.id_token);
  assert.equal(claims.nonce, params.nonce);
  return { claims, token: tok.json, callback: cb };
}

async function log() {
  return (await fetch(new URL('/test/authorizations', issuer))).json();
}

// ------------------------------------------------------------------ checks

try {
  await check('ready line is one JSON line with the issuer', async () => {
    assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(Object.keys(JSON.parse(readyLine)).sort(), ['issuer', 'port']);
  });

  await check('discovery', async () => {
    const d = await (await fetch(new URL('/.well-known/openid-configuration', issuer))).json();
    assert.equal(d.issuer, issuer);
    assert.equal(d.authorization_endpoint, `${issuer}/auth`);
    assert.equal(d.token_endpoint, `${issuer}/token`);
    assert.equal(d.jwks_uri, `${issuer}/jwks`);
    assert.deepEqual(d.prompt_values_supported, ['none', 'login', 'consent']);
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
  });

  await fetch(new URL('/test/reset', issuer), { method: 'POST' });
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const first = authUrl({ login_hint: 'alice@example.com' }, { challenge });
  let interactionUrl;
  let callback;

  await check('authorization request -> interaction page with login_hint prefilled', async () => {
    const r = await browser.request(first.url);
    assert.equal(r.status, 303);
    interactionUrl = r.location;
    assert.match(interactionUrl, new RegExp(`^${issuer}/interaction/[A-Za-z0-9_-]+$`));
    const page = await browser.request(interactionUrl);
    assert.equal(page.status, 200);
    assert.equal(spanText(page.text, 'prompt'), 'login');
    assert.equal(spanText(page.text, 'prompt-reasons'), 'no_session');
    assert.equal(spanText(page.text, 'login-hint'), 'alice@example.com');
    assert.match(page.text, /<input id="login" name="login" type="text"[^>]* value="alice@example.com"/);
    assert.match(page.text, /<input id="password" name="password" type="password"/);
    assert.equal(formAction(page.text), `${new URL(interactionUrl).pathname}/login`);
  });

  await check('wrong password -> 401 and the form again with <p id="error">', async () => {
    const r = await browser.request(`${interactionUrl}/login`, { method: 'POST', form: { login: 'alice@example.com', password: 'nope' } });
    assert.equal(r.status, 401);
    assert.ok(spanText(r.text, 'error'));
    assert.match(r.text, /id="login-form"/);
  });

  await check('right password -> redirect to the app with code and state', async () => {
    const r = await browser.follow(`${interactionUrl}/login`, { method: 'POST', form: { login: 'alice@example.com', password: 'password' } });
    assert.equal(r.status, 303);
    callback = new URL(r.location);
    assert.equal(`${callback.origin}${callback.pathname}`, first.params.redirect_uri);
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('state'), first.params.state);
    assert.equal(callback.searchParams.get('iss'), issuer);
  });

  await check('token endpoint: wrong or missing code_verifier -> invalid_grant', async () => {
    // a separate, throw-away code so the real one stays unused
    const b = new Browser();
    const p = pkce();
    const req = authUrl({}, { challenge: p.challenge });
    const r1 = await b.request(req.url);
    const r2 = await b.follow(`${r1.location}/login`, { method: 'POST', form: { login: 'bob', password: 'password' } });
    const code = new URL(r2.location).searchParams.get('code');
    const bad = await token(code, crypto.randomBytes(32).toString('base64url'), req.params.redirect_uri);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_grant');
    // a second throw-away code, redeemed with no code_verifier at all
    const p2 = pkce();
    const req2 = authUrl({}, { challenge: p2.challenge });
    const r3 = await b.request(req2.url); // b is signed in as bob now: silent
    const code2 = new URL(r3.location).searchParams.get('code');
    const none = await token(code2, undefined, req2.params.redirect_uri);
    assert.equal(none.status, 400);
    assert.equal(none.json.error, 'invalid_grant');
  });

  await check('token exchange (client_secret_basic + code_verifier) -> id_token claims', async () => {
    const tok = await token(callback.searchParams.get('code'), verifier, first.params.redirect_uri);
    assert.equal(tok.status, 200, JSON.stringify(tok.json));
    assert.ok(tok.json.access_token);
    assert.equal(tok.json.token_type, 'Bearer');
    const c = await verifyIdToken(tok.json.id_token);
    assert.equal(c.iss, issuer);
    assert.equal(c.aud, CLIENT_ID);
    assert.equal(c.sub, 'alice');
    assert.equal(c.email, 'alice@example.com');
    assert.equal(c.email_verified, true);
    assert.equal(c.name, 'Alice Example');
    assert.equal(c.nonce, first.params.nonce);
  });

  await check('second authorization, no prompt, other app port -> answered silently', async () => {
    const p = pkce();
    const req = authUrl({}, { port: 6666, challenge: p.challenge });
    const r = await browser.request(req.url);
    assert.equal(r.status, 303);
    const cb = new URL(r.location);
    assert.equal(`${cb.origin}${cb.pathname}`, 'http://127.0.0.1:6666/oidc/callback');
    assert.ok(cb.searchParams.get('code'));
    const tok = await token(cb.searchParams.get('code'), p.verifier, req.params.redirect_uri);
    assert.equal((await verifyIdToken(tok.json.id_token)).sub, 'alice');
  });

  await check('prompt=none while signed in -> silent code', async () => {
    const r = await browser.request(authUrl({ prompt: 'none' }, { challenge: pkce().challenge }).url);
    assert.equal(r.status, 303);
    assert.ok(new URL(r.location).searchParams.get('code'));
  });

  await check('prompt=login while signed in -> login page again', async () => {
    const r = await browser.request(authUrl({ prompt: 'login', login_hint: 'bob@example.com' }, { challenge: pkce().challenge }).url);
    assert.equal(r.status, 303);
    assert.match(r.location, /\/interaction\//);
    const page = await browser.request(r.location);
    assert.equal(spanText(page.text, 'prompt'), 'login');
    assert.equal(spanText(page.text, 'prompt-reasons'), 'login_prompt');
    assert.equal(spanText(page.text, 'requested-prompt'), 'login');
    assert.equal(spanText(page.text, 'login-hint'), 'bob@example.com');
  });

  await check('prompt=login, same account again -> code for alice', async () => {
    const { claims } = await signIn(browser, 'alice', { prompt: 'login' });
    assert.equal(claims.sub, 'alice');
  });

  await check('prompt=login, another account (bob) -> old session ended, code for bob', async () => {
    const { claims } = await signIn(browser, 'bob@example.com', { prompt: 'login' });
    assert.equal(claims.sub, 'bob');
    assert.equal(claims.email, 'bob@example.com');
    const again = await browser.request(authUrl({}, { challenge: pkce().challenge }).url);
    assert.ok(new URL(again.location).searchParams.get('code'), 'now silently bob');
  });

  await check('mallory: alice@example.com unverified; login by email picks alice', async () => {
    const m = await signIn(new Browser(), 'mallory');
    assert.equal(m.claims.sub, 'mallory');
    assert.equal(m.claims.email, 'alice@example.com');
    assert.equal(m.claims.email_verified, false);
    const a = await signIn(new Browser(), 'ALICE@example.com');
    assert.equal(a.claims.sub, 'alice');
  });

  await check('carol, dave, erin sign in', async () => {
    for (const who of ['carol', 'dave', 'erin']) {
      const { claims } = await signIn(new Browser(), `${who}@example.com`);
      assert.equal(claims.sub, who);
      assert.equal(claims.email_verified, true);
    }
  });

  await check('prompt=none without a session -> login_required to the app', async () => {
    const r = await new Browser().request(authUrl({ prompt: 'none' }, { challenge: pkce().challenge }).url);
    assert.equal(r.status, 303);
    assert.equal(new URL(r.location).searchParams.get('error'), 'login_required');
  });

  await check('prompt=select_account -> invalid_request (not supported)', async () => {
    const r = await new Browser().request(authUrl({ prompt: 'select_account' }, { challenge: pkce().challenge }).url);
    assert.equal(r.status, 303);
    const cb = new URL(r.location);
    assert.equal(cb.searchParams.get('error'), 'invalid_request');
    assert.match(cb.searchParams.get('error_description'), /unsupported prompt/);
  });

  await check('PKCE required: no code_challenge -> invalid_request', async () => {
    const r = await new Browser().request(authUrl({}, { challenge: undefined }).url.replace('&code_challenge_method=S256', ''));
    assert.equal(r.status, 303);
    const cb = new URL(r.location);
    assert.equal(cb.searchParams.get('error'), 'invalid_request');
  });

  await check('redirect_uri: other path, other host, localhost are refused (400 page)', async () => {
    for (const [port, path, host] of [[APP_PORT, '/other', '127.0.0.1'], [80, '/oidc/callback', 'evil.example'], [APP_PORT, '/oidc/callback', 'localhost']]) {
      const u = new URL(authUrl({}, { challenge: pkce().challenge }).url);
      u.searchParams.set('redirect_uri', `http://${host}${port === 80 ? '' : `:${port}`}${path}`);
      const r = await new Browser().request(u.href);
      assert.equal(r.status, 400, u.searchParams.get('redirect_uri'));
      assert.equal(r.location, null);
      assert.equal(spanText(r.text, 'error'), 'invalid_redirect_uri');
    }
  });

  await check('/test/authorizations log', async () => {
    const entries = await log();
    const [a, b] = entries;
    assert.deepEqual(
      { client_id: a.client_id, prompt: a.prompt, login_hint: a.login_hint, redirect_uri: a.redirect_uri, interaction: a.interaction },
      { client_id: CLIENT_ID, prompt: null, login_hint: 'alice@example.com', redirect_uri: first.params.redirect_uri, interaction: true },
    );
    assert.equal(a.interaction_prompt, 'login');
    assert.equal(b.interaction, true); // the throw-away codes for bob (own browser)
    assert.equal(entries[2].interaction, false); // bob's second, silent
    const c = entries[3];
    const d = entries[4];
    assert.equal(c.interaction, false); // silent, port 6666
    assert.equal(c.outcome, 'silent');
    assert.equal(c.redirect_uri, 'http://127.0.0.1:6666/oidc/callback');
    assert.equal(d.prompt, 'none');
    assert.equal(d.interaction, false);
    const loginPrompted = entries.filter((e) => e.prompt_raw === 'login');
    assert.ok(loginPrompted.length >= 3);
    assert.ok(loginPrompted.every((e) => e.interaction && e.interaction_reasons.includes('login_prompt')));
    assert.deepEqual(loginPrompted[0].prompts, ['login']);
    const refused = entries.filter((e) => e.outcome === 'error');
    assert.ok(refused.some((e) => e.redirect_uri === 'http://evil.example/oidc/callback' && e.error === 'invalid_redirect_uri'));
    assert.ok(refused.some((e) => e.prompt_raw === 'select_account' && e.error === 'invalid_request'));
    const reset = await (await fetch(new URL('/test/reset', issuer), { method: 'POST' })).json();
    assert.deepEqual(reset, { ok: true });
    assert.deepEqual(await log(), []);
  });

  await check('/test/accounts changes an account\'s email; the next ID token carries it', async () => {
    const set = async (form) => fetch(new URL('/test/accounts', issuer), { method: 'POST', body: new URLSearchParams(form) });
    const changed = await set({ sub: 'erin', email: 'erin@elsewhere.example' });
    assert.equal(changed.status, 200);
    assert.deepEqual(await changed.json(), {
      sub: 'erin', email: 'erin@elsewhere.example', email_verified: true, name: 'Erin Example',
    });
    const { claims } = await signIn(new Browser(), 'erin');
    assert.equal(claims.sub, 'erin');
    assert.equal(claims.email, 'erin@elsewhere.example');
    const added = await (await set({ sub: 'zed', email: 'zed@example.com', email_verified: 'false' })).json();
    assert.equal(added.email_verified, false);
    assert.equal((await signIn(new Browser(), 'zed')).claims.email_verified, false);
    assert.equal((await set({ sub: 'erin' })).status, 400, 'email is required');
    await set({ sub: 'erin', email: 'erin@example.com' });
  });

  await check('interaction page without its cookie -> 400', async () => {
    const b = new Browser();
    const r = await b.request(authUrl({}, { challenge: pkce().challenge }).url);
    const page = await new Browser().request(r.location);
    assert.equal(page.status, 400);
  });
} finally {
  child.kill('SIGTERM');
  const [code, signal] = await once(child, 'exit');
  await check('SIGTERM -> clean exit, stdout carried only the ready line', async () => {
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.deepEqual(stdoutLines, [readyLine]);
  });
  if (failed) console.log(`provider stderr:\n${Buffer.concat(stderr)}`);
  console.log(`selftest: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
