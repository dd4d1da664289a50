// The multi-account demo as a single-page app: plain JavaScript, no build
// step, driven only by `fetch`.
//
// - GET  /link/api/accounts          the accounts of this browser, and the CSRF token
// - POST /api/sign-in                the demo's JSON password sign-in
// - POST /link/api/link/start        "Add another account": then sign the next
//                                    account in, then POST /link/api/link/complete
// - POST /link/api/switch/{id}, /link/api/remove/{id}, /link/api/sign-out-all
// - POST /link/api/again/{id}        "Sign in again" for a remembered (signed-out)
//                                    account, while signed in: as link/start
// - POST /link/api/forget/{id}       this browser forgets a remembered account
// - POST /link/api/sign-out-all?forget  sign out, and forget them all
//
// Every POST sends the newest CSRF token this page was answered in the
// `X-CSRF-Token` header: a sign-in, a switch or a link rotates it, and a
// wrong password spends it (the page then asks for the accounts again, which
// answers the new one). A refusal is `{"code": …, "message": …}`: the message
// is shown as it is. Nothing here writes HTML from data: every text goes in
// through `textContent`.
"use strict";

const API = "/link/api";
const SIGN_IN = "/api/sign-in";

/** What this page holds between requests. */
const state = {
  /** The newest CSRF token answered (`null` right after signing out of all accounts). */
  csrfToken: null,
  /** While adding an account: `{ returnTo, joins }` (the link path, the primary's email). */
  adding: null,
  /** The last accounts answer. */
  accounts: null,
};

/** A refused or failed request: the server's `code` and `message`. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const byId = (id) => document.getElementById(id);

/**
 * Sends one request to the server and answers its JSON body; throws an
 * `ApiError` for a refusal. Keeps the newest CSRF token any answer carries.
 */
async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && state.csrfToken) {
    headers["X-CSRF-Token"] = state.csrfToken;
  }
  const init = { method, headers, credentials: "same-origin", cache: "no-store", redirect: "error" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
  }
  const isJson = (response.headers.get("Content-Type") || "").startsWith("application/json");
  const data = isJson ? await response.json().catch(() => null) : null;
  if (data !== null && typeof data === "object" && "csrf_token" in data) {
    state.csrfToken = data.csrf_token;
  }
  if (!response.ok) {
    const message = data && typeof data.message === "string" ? data.message : `The server answered ${response.status}.`;
    throw new ApiError(response.status, data && data.code ? data.code : "unexpected", message);
  }
  if (data === null) {
    throw new ApiError(response.status, "unexpected", "The server's answer could not be read.");
  }
  return data;
}

// Messages: one polite status region, one alert region, both always in the
// page so that assistive technology announces what is put in them.

function say(message) {
  byId("spa-error").textContent = "";
  byId("spa-status").textContent = message;
}

function complain(message) {
  byId("spa-status").textContent = "";
  byId("spa-error").textContent = message;
}

function clearMessages() {
  byId("spa-status").textContent = "";
  byId("spa-error").textContent = "";
}

/** Disables the page's buttons while a request is under way. */
function setBusy(busy) {
  const main = byId("spa");
  main.setAttribute("aria-busy", String(busy));
  for (const button of main.querySelectorAll("button")) {
    button.disabled = busy;
  }
}

/**
 * Runs one action the person asked for. A refusal shows its message, then
 * the accounts are asked for again: the view shows what is true now, and the
 * page holds the newest token (a wrong password rotates it).
 */
async function run(action) {
  setBusy(true);
  clearMessages();
  try {
    await action();
  } catch (error) {
    complain(error.message);
    try {
      await refresh();
    } catch {
      // The first message says what went wrong.
    }
  } finally {
    setBusy(false);
  }
}

/** Asks for this browser's accounts (and a token), and shows them. */
async function refresh() {
  const data = await call("GET", `${API}/accounts`);
  render(data);
  return data;
}

/** The account that acts now, if any. */
function currentOf(data) {
  return data.accounts.find((account) => account.current) || null;
}

/** The avatar's colour (one of six, as on the HTML pages) and letter. */
function paintAvatar(element, account) {
  const id = Number(account.id);
  const tone = Number.isSafeInteger(id) ? ((id % 6) + 6) % 6 : 0;
  element.className = element.className.replace(/\btone-\d\b/g, "").trim() + ` tone-${tone}`;
  element.textContent = (account.user.name || account.user.email || "?").charAt(0).toUpperCase();
}

/** What this browser remembers of a signed-out account: its email (the hint) and name. */
function rememberedUser(account) {
  const fields = account.fields || {};
  return { email: account.hint || "", name: typeof fields.name === "string" ? fields.name : "" };
}

/** Shows the sign-in form, the account list, or both parts of "Add another account". */
function render(data) {
  state.accounts = data;
  const current = currentOf(data);
  const signingIn = current === null || state.adding !== null;
  if (current === null) {
    state.adding = null;
  }
  renderSignIn(signingIn);
  renderAccounts(data, current, signingIn);
  renderRemembered(data, current, state.adding !== null);
  byId("spa").setAttribute("data-view", signingIn ? (state.adding ? "adding" : "sign-in") : "accounts");
}

function renderSignIn(visible) {
  byId("spa-sign-in").hidden = !visible;
  const adding = state.adding;
  byId("spa-sign-in-title").textContent = adding ? "Add another account" : "Sign in";
  byId("spa-sign-in-hint").textContent = adding
    ? `It joins ${adding.joins} in this browser.`
    : "to continue to the multi-account demo";
  byId("spa-sign-in-submit").textContent = adding ? "Sign in and add" : "Sign in";
  byId("spa-cancel-add").hidden = !adding;
  byId("spa-demo-accounts").hidden = !visible;
}

function renderAccounts(data, current, signingIn) {
  const signedIn = current !== null;
  byId("spa-welcome").hidden = !signedIn || signingIn;
  byId("spa-accounts").hidden = !signedIn || signingIn;
  byId("spa-topbar-account").hidden = !signedIn;
  if (!signedIn) {
    byId("spa-account-list").replaceChildren();
    return;
  }
  byId("spa-welcome-title").textContent = `Welcome, ${current.user.name}`;
  byId("spa-current").textContent = `Signed in as ${current.user.email}`;
  paintAvatar(byId("spa-avatar"), current);
  byId("spa-topbar-email").textContent = current.user.email;
  byId("spa-topbar-account").title = `${current.user.name} (${current.user.email})`;
  paintAvatar(byId("spa-topbar-avatar"), current);

  const group = data.accounts.length > 1;
  byId("spa-account-list").replaceChildren(...data.accounts.map((account) => accountItem(account, group)));
  byId("spa-add-account").hidden = !data.actions.includes("add_account");
  byId("spa-sign-out-all").hidden = !data.actions.includes("sign_out_all");
  // `remembered` is in the answer when remembered accounts are on.
  byId("spa-sign-out-all-forget").hidden = !data.actions.includes("sign_out_all") || !Array.isArray(data.remembered);
}

/**
 * The accounts this browser remembers, signed out: after the signed-in ones,
 * or next to the sign-in form when nobody is signed in; hidden while adding.
 */
function renderRemembered(data, current, adding) {
  const remembered = Array.isArray(data.remembered) && !adding ? data.remembered : [];
  byId("spa-remembered").hidden = remembered.length === 0;
  byId("spa-remembered-list").replaceChildren(...remembered.map((account) => rememberedItem(account, current !== null)));
}

/** One remembered account: who, "Signed out", and "Sign in again" and "Forget". */
function rememberedItem(account, signedIn) {
  const user = rememberedUser(account);
  const item = document.createElement("li");
  item.className = "remembered-account";
  item.dataset.id = account.id;
  item.dataset.email = user.email;

  const avatar = document.createElement("span");
  avatar.className = "avatar avatar-signed-out";
  avatar.setAttribute("aria-hidden", "true");
  paintAvatar(avatar, { id: account.id, user });

  const who = document.createElement("div");
  who.className = "account-who";
  const name = document.createElement("div");
  name.className = "account-name";
  name.append(user.name || user.email, " ", badge("Signed out", "badge badge-muted"));
  who.append(name);
  if (user.name) {
    const address = document.createElement("div");
    address.className = "account-email";
    address.textContent = user.email;
    who.append(address);
  }

  const actions = document.createElement("div");
  actions.className = "account-actions";
  const label = user.email || user.name || "this account";
  for (const action of account.actions) {
    if (action === "sign_in_again") {
      actions.append(
        button("Sign in again", "sign-in-again button", `Sign in to ${label} again`, () => signInAgain(account, signedIn)),
      );
    } else if (action === "forget") {
      actions.append(
        button("Forget", "forget button button-quiet", `Forget ${label} on this computer`, () => forget(account)),
      );
    }
  }
  item.append(avatar, who, actions);
  return item;
}

/** One account of the list: who, its marks, and the buttons its actions allow. */
function accountItem(account, group) {
  const email = account.user.email;
  const item = document.createElement("li");
  item.className = "account";
  item.classList.toggle("current", account.current);
  item.classList.toggle("primary", account.primary && group);
  item.classList.toggle("pending", account.pending);
  item.dataset.id = account.id;
  item.dataset.email = email;

  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  paintAvatar(avatar, account);

  const who = document.createElement("div");
  who.className = "account-who";
  const name = document.createElement("div");
  name.className = "account-name";
  name.append(account.user.name);
  if (account.primary && group) {
    name.append(" ", badge("Primary", "badge badge-primary"));
  }
  if (account.pending) {
    name.append(" ", badge("Not added yet", "badge"));
  }
  const address = document.createElement("div");
  address.className = "account-email";
  address.textContent = email;
  who.append(name, address);

  const actions = document.createElement("div");
  actions.className = "account-actions";
  if (account.current) {
    const mark = document.createElement("span");
    mark.className = "current-mark";
    mark.textContent = "\u2713 Current";
    actions.append(mark);
  }
  for (const action of account.actions) {
    if (action === "switch") {
      actions.append(button("Switch", "switch button", `Switch to ${email}`, () => switchTo(account)));
    } else if (action === "finish_link") {
      actions.append(button("Finish adding", "finish button button-primary", `Finish adding ${email}`, finishAdding));
    } else if (action === "remove") {
      actions.append(
        button("Remove", "remove button button-quiet", `Remove ${email} from this browser`, () => remove(account)),
      );
    }
  }
  item.append(avatar, who, actions);
  return item;
}

function badge(text, className) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function button(text, className, label, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", () => run(onClick));
  return element;
}

/** Moves the focus to the heading of what is shown now (after a change of view). */
function focusView() {
  const heading = byId("spa-sign-in").hidden ? byId("spa-welcome-title") : byId("spa-sign-in-title");
  heading.focus();
}

// The actions.

async function signIn(event) {
  event.preventDefault();
  const email = byId("spa-email").value;
  const password = byId("spa-password").value;
  await run(async () => {
    if (!state.csrfToken) {
      await refresh();
    }
    const body = { email, password };
    if (state.adding && state.adding.returnTo) {
      body.return_to = state.adding.returnTo;
    }
    try {
      await call("POST", SIGN_IN, body);
    } catch (error) {
      byId("spa-password").value = "";
      if (error.code === "already_in_group" || error.code === "add_expired") {
        // Nobody was signed in, and this "Add another account" is over.
        state.adding = null;
      }
      throw error;
    }
    byId("spa-password").value = "";
    byId("spa-email").value = "";
    if (state.adding) {
      // Signed in for the link: now it joins the group.
      state.adding = null;
      const data = await call("POST", `${API}/link/complete`);
      render(data);
      say(`Added ${currentOf(data) ? currentOf(data).user.email : email} to this browser.`);
    } else {
      const data = await refresh();
      say(`Signed in as ${currentOf(data) ? currentOf(data).user.email : email}.`);
    }
    focusView();
  });
}

async function startAdding() {
  await run(async () => {
    const started = await call("POST", `${API}/link/start`);
    const primary = state.accounts && state.accounts.accounts.find((account) => account.primary);
    state.adding = { returnTo: returnToOf(started.sign_in), joins: primary ? primary.user.email : "your account" };
    render(state.accounts);
    const minutes = Math.max(1, Math.round(started.expires_in / 60));
    say(`Sign in to the account to add within ${minutes} minutes.`);
    byId("spa-email").focus();
  });
}

/** The link path in the `return_to` of the sign-in page a link start names. */
function returnToOf(signInPage) {
  try {
    return new URL(signInPage, window.location.origin).searchParams.get("return_to");
  } catch {
    return null;
  }
}

async function cancelAdding() {
  state.adding = null;
  byId("spa-password").value = "";
  await run(async () => {
    await refresh();
    focusView();
  });
}

async function finishAdding() {
  const data = await call("POST", `${API}/link/complete`);
  render(data);
  say(`Added ${currentOf(data) ? currentOf(data).user.email : "the account"} to this browser.`);
  focusView();
}

async function switchTo(account) {
  const data = await call("POST", `${API}/switch/${encodeURIComponent(account.id)}`);
  render(data);
  say(`Switched to ${account.user.email}.`);
  focusView();
}

async function remove(account) {
  const data = await call("POST", `${API}/remove/${encodeURIComponent(account.id)}`);
  render(data);
  say(`Signed out of ${account.user.email} in this browser.`);
  byId("spa-accounts-title").setAttribute("tabindex", "-1");
  byId("spa-accounts-title").focus();
}

/**
 * "Sign in again": signed in, it starts adding the account (as "Add another
 * account" does); signed out, it is a sign-in. Either way the form gets the
 * account's email.
 */
async function signInAgain(account, signedIn) {
  const user = rememberedUser(account);
  if (signedIn) {
    const started = await call("POST", `${API}/again/${encodeURIComponent(account.id)}`);
    const primary = state.accounts && state.accounts.accounts.find((entry) => entry.primary);
    state.adding = { returnTo: returnToOf(started.sign_in), joins: primary ? primary.user.email : "your account" };
    render(state.accounts);
    const minutes = Math.max(1, Math.round(started.expires_in / 60));
    say(`Sign in to ${user.email} within ${minutes} minutes to add it again.`);
  } else {
    say(`Enter the password of ${user.email}.`);
  }
  byId("spa-email").value = user.email;
  byId("spa-password").value = "";
  byId("spa-password").focus();
}

async function forget(account) {
  const data = await call("POST", `${API}/forget/${encodeURIComponent(account.id)}`);
  render(data);
  say(`This computer forgot ${rememberedUser(account).email || "the account"}.`);
}

async function signOutAndForget() {
  await call("POST", `${API}/sign-out-all?forget`);
  state.adding = null;
  await refresh();
  say("Signed out of all accounts, and this computer forgot them.");
  focusView();
}

async function signOutOfAll() {
  await call("POST", `${API}/sign-out-all`);
  state.adding = null;
  // The session is gone: asking for the accounts starts a new one, with a token.
  await refresh();
  say("Signed out of all accounts.");
  focusView();
}

function start() {
  byId("spa-sign-in-form").addEventListener("submit", signIn);
  byId("spa-cancel-add").addEventListener("click", cancelAdding);
  byId("spa-add-account").addEventListener("click", startAdding);
  byId("spa-sign-out-all").addEventListener("click", () => run(signOutOfAll));
  byId("spa-sign-out-all-forget").addEventListener("click", () => run(signOutAndForget));
  run(refresh);
}

start();
