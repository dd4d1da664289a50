//! Sign-in through an OpenID Connect provider, framework-free: the
//! authorization code flow with PKCE, `state` and `nonce`, and the ID token
//! verified (signature, issuer, audience, expiry, nonce) by `openidconnect`.
//!
//! `OidcProvider::begin` makes the provider's URL and what the session keeps
//! until the callback; `callback` checks the callback against it and returns
//! the verified identity. "Add another account" asks the provider to let the
//! person choose or re-authenticate ([`AddAccountPrompt`]): without it, a
//! provider that remembers who signed in there signs the same account in
//! again, silently.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LoginHint, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadata, RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};

use crate::app_state::{Pairs, field};
use std::sync::Arc;

use tokio::sync::RwLock;

/// The session key of the sign-ins waiting for the provider's callback.
pub(crate) const PENDING_KEY: &str = "demo_oidc";
/// The callback path (register `{public URL}/oidc/callback` with the provider).
pub const CALLBACK_PATH: &str = "/oidc/callback";
/// How long a person may stay at the provider.
const PENDING_TTL_SECS: u64 = 10 * 60;
/// Sign-ins waiting at once in one session (tabs); the oldest goes first.
const MAX_PENDING: usize = 4;
/// How long one request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest `return_to` kept with a pending sign-in (a longer one, never a
/// path of this app's, becomes `/`): four of them must fit a cookie session.
const MAX_RETURN_TO: usize = 128;

/// What "Add another account" asks the provider for (`prompt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddAccountPrompt {
    /// `select_account` when the provider's discovery document lists it in
    /// `prompt_values_supported`, `login` otherwise.
    #[default]
    Auto,
    /// `prompt=select_account`: the provider's account chooser.
    SelectAccount,
    /// `prompt=login`: the provider asks for credentials again.
    Login,
    /// No prompt (the provider may sign the same account in again).
    None,
}

impl std::str::FromStr for AddAccountPrompt {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "select_account" => Ok(Self::SelectAccount),
            "login" => Ok(Self::Login),
            "none" => Ok(Self::None),
            _ => Err(text.to_owned()),
        }
    }
}

/// One OpenID provider the demo signs in with.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// Shown on the button ("Continue with …").
    pub name: String,
    /// The issuer URL (its `/.well-known/openid-configuration` is read at the
    /// first sign-in, and again until it answers).
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret (`None` for a public client: PKCE only).
    pub client_secret: Option<String>,
    /// What "Add another account" asks the provider for.
    pub add_account_prompt: AddAccountPrompt,
}

/// Why a sign-in through the provider did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered with an error (502).
    #[error("the provider could not be reached or failed: {0}")]
    Unavailable(String),
    /// The callback does not belong to a sign-in this session started (or it
    /// was used already, or is too old).
    #[error("the callback does not match a sign-in started in this browser")]
    UnknownState,
    /// The provider said no (the person cancelled, say).
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The code exchange or the ID token failed verification.
    #[error("the provider's answer did not verify: {0}")]
    Invalid(String),
}

impl OidcError {
    /// What the sign-in page says.
    pub(crate) fn message(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => UNAVAILABLE,
            Self::UnknownState => STALE,
            Self::Refused(_) => REFUSED,
            Self::Invalid(_) => INVALID,
        }
    }

    /// The sign-in page's status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Unavailable(_) => 502,
            Self::UnknownState | Self::Invalid(_) => 400,
            Self::Refused(_) => 403,
        }
    }
}

/// The message when the provider cannot be reached (502).
pub const UNAVAILABLE: &str =
    "The sign-in provider could not be reached. Try again in a moment, or sign in with your password.";
/// The message for a callback that belongs to no sign-in of this browser (400).
pub const STALE: &str =
    "That sign-in was not started in this browser, was used already, or took too long. Start again.";
/// The message when the provider answered with an error (403).
pub const REFUSED: &str = "The sign-in provider did not sign you in.";
/// The message when the provider's answer does not verify (400).
pub const INVALID: &str = "The sign-in provider's answer could not be verified. Start again.";

/// A sign-in waiting for the provider's callback, kept in the session under
/// its `state`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingOidc {
    nonce: String,
    pkce_verifier: String,
    /// Where to go once signed in (a link path when adding an account).
    pub(crate) return_to: Option<String>,
    started_at: u64,
}

/// The sign-ins of one session waiting for a callback, by `state`.
pub(crate) type PendingMap = BTreeMap<String, PendingOidc>;

/// Who the provider signed in, from the verified ID token.
#[derive(Debug)]
pub(crate) struct OidcIdentity {
    /// The provider (`iss`); with the subject, the provider account's name.
    pub(crate) issuer: String,
    /// The provider's id of its account (`sub`): stable, unlike its email.
    pub(crate) subject: String,
    pub(crate) email: Option<String>,
    pub(crate) email_verified: bool,
}

/// `prompt_values_supported`, which the core metadata type does not carry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct PromptValues {
    #[serde(default)]
    prompt_values_supported: Option<Vec<String>>,
}

impl AdditionalProviderMetadata for PromptValues {}

type Metadata = ProviderMetadata<
    PromptValues,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The provider once discovered.
struct Discovered {
    client: Client,
    /// What "Add another account" sends.
    add_account_prompt: Option<CoreAuthPrompt>,
}

/// A configured provider: discovered at the first sign-in.
pub(crate) struct OidcProvider {
    settings: OidcSettings,
    http: reqwest::Client,
    /// The last discovery that answered; read again when an ID token does not
    /// verify (the provider may have rotated its keys).
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl OidcProvider {
    pub(crate) fn new(settings: OidcSettings) -> Result<Self, OidcError> {
        // No redirects: a provider's endpoint that redirects is misconfigured,
        // and following one could leak the code elsewhere.
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|error| OidcError::Unavailable(error.to_string()))?;
        Ok(Self { settings, http, discovered: RwLock::new(None) })
    }

    /// The name on the button.
    pub(crate) fn name(&self) -> &str {
        &self.settings.name
    }

    /// The discovered provider: the last answer, or a new discovery (no lock is
    /// held while the provider is asked, so a provider that hangs delays only
    /// the requests that need it, each by at most [`HTTP_TIMEOUT`] twice).
    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(discovered) = self.discovered.read().await.as_ref() {
            return Ok(Arc::clone(discovered));
        }
        self.rediscover().await
    }

    /// Reads the discovery document and the keys again.
    async fn rediscover(&self) -> Result<Arc<Discovered>, OidcError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|error| OidcError::Unavailable(format!("issuer URL: {error}")))?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| OidcError::Unavailable(error_chain(&error)))?;
        let supported = metadata.additional_metadata().prompt_values_supported.clone().unwrap_or_default();
        let add_account_prompt = match self.settings.add_account_prompt {
            AddAccountPrompt::Auto if supported.iter().any(|value| value == "select_account") => {
                Some(CoreAuthPrompt::SelectAccount)
            }
            AddAccountPrompt::Auto | AddAccountPrompt::Login => Some(CoreAuthPrompt::Login),
            AddAccountPrompt::SelectAccount => Some(CoreAuthPrompt::SelectAccount),
            AddAccountPrompt::None => None,
        };
        tracing::info!(issuer = %self.settings.issuer, ?supported, ?add_account_prompt, "OpenID provider discovered");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        );
        let discovered = Arc::new(Discovered { client, add_account_prompt });
        *self.discovered.write().await = Some(Arc::clone(&discovered));
        Ok(discovered)
    }

    /// The provider's authorization URL, and what the session keeps under the
    /// returned `state` until the callback. `adding`: the sign-in adds an
    /// account, so the provider is asked to let the person choose.
    pub(crate) async fn begin(
        &self,
        redirect_uri: &str,
        adding: bool,
        login_hint: Option<&str>,
        return_to: Option<&str>,
        now: u64,
    ) -> Result<(String, String, PendingOidc), OidcError> {
        let discovered = self.discovered().await?;
        let redirect = redirect_url(redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered
            .client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_redirect_uri(Cow::Owned(redirect))
            .set_pkce_challenge(challenge)
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()));
        if adding && let Some(prompt) = &discovered.add_account_prompt {
            request = request.add_prompt(prompt.clone());
        }
        if let Some(hint) = login_hint.and_then(crate::sign_in::email_address) {
            request = request.set_login_hint(LoginHint::new(hint));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingOidc {
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to: return_to.filter(|path| path.len() <= MAX_RETURN_TO).map(str::to_owned),
            started_at: now,
        };
        Ok((url.to_string(), state.secret().clone(), pending))
    }

    /// Exchanges the callback's `code` (with the PKCE verifier) and verifies
    /// the ID token against the sign-in's nonce.
    async fn finish(&self, redirect_uri: &str, pending: PendingOidc, code: &str) -> Result<OidcIdentity, OidcError> {
        let discovered = self.discovered().await?;
        let redirect = redirect_url(redirect_uri)?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| OidcError::Unavailable(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                openidconnect::RequestTokenError::ServerResponse(response) => {
                    OidcError::Invalid(format!("token endpoint: {}", response.error()))
                }
                other => OidcError::Unavailable(error_chain(&other)),
            })?;
        let id_token = response.id_token().ok_or_else(|| OidcError::Invalid("no ID token".to_owned()))?;
        let nonce = Nonce::new(pending.nonce);
        let claims = match id_token.claims(&discovered.client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(first) => {
                // Signed with a key this demo has not seen yet? Read the keys
                // again, once, and verify again: a provider rotates its keys.
                tracing::info!(error = %first, "the ID token did not verify: reading the provider's keys again");
                let discovered = self.rediscover().await?;
                id_token
                    .claims(&discovered.client.id_token_verifier(), &nonce)
                    .map_err(|error| OidcError::Invalid(error.to_string()))?
                    .clone()
            }
        };
        Ok(OidcIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|email| email.as_str().trim().to_lowercase()),
            email_verified: claims.email_verified() == Some(true),
        })
    }
}

impl OidcProvider {
    /// Decides the provider's callback: `pending` is what the session kept
    /// under the callback's `state` (taken out: a callback is good once). The
    /// error keeps where the person was going, so the sign-in page shown then
    /// still adds an account rather than replacing the one signed in.
    pub(crate) async fn callback(
        &self,
        redirect_uri: &str,
        pending: Option<PendingOidc>,
        query: &Pairs,
    ) -> Result<(OidcIdentity, Option<String>), (OidcError, Option<String>)> {
        let Some(pending) = pending else { return Err((OidcError::UnknownState, None)) };
        let return_to = pending.return_to.clone();
        let identity = match (field(query, "error"), field(query, "code")) {
            (Some(error), _) => Err(OidcError::Refused(printable(error, 64))),
            (None, None) => Err(OidcError::Invalid("no code".to_owned())),
            (None, Some(code)) => self.finish(redirect_uri, pending, code).await,
        };
        match identity {
            Ok(identity) => Ok((identity, return_to)),
            Err(error) => Err((error, return_to)),
        }
    }
}

/// At most `max` characters of `text`, without control characters: the
/// provider's `error` goes into the log, and a line break there would forge a line.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn redirect_url(uri: &str) -> Result<RedirectUrl, OidcError> {
    RedirectUrl::new(uri.to_owned()).map_err(|error| OidcError::Unavailable(format!("redirect URI: {error}")))
}

/// An error with its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Seconds since the Unix epoch (a pending sign-in outlives a restart in a
/// Redis session, so not a monotonic clock).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Adds `pending` under `state`, dropping stale entries and the oldest beyond
/// [`MAX_PENDING`].
pub(crate) fn remember(mut map: PendingMap, state: String, pending: PendingOidc, now: u64) -> PendingMap {
    map.retain(|_, entry| is_fresh(entry, now));
    while map.len() >= MAX_PENDING {
        let Some(oldest) = map.iter().min_by_key(|(_, entry)| entry.started_at).map(|(key, _)| key.clone()) else {
            break;
        };
        map.remove(&oldest);
    }
    map.insert(state, pending);
    map
}

/// Takes the fresh sign-in waiting under `state` out of `map`: a callback is
/// good once.
pub(crate) fn take(map: &mut PendingMap, state: &str, now: u64) -> Option<PendingOidc> {
    map.remove(state).filter(|entry| is_fresh(entry, now))
}

fn is_fresh(entry: &PendingOidc, now: u64) -> bool {
    now.saturating_sub(entry.started_at) <= PENDING_TTL_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(started_at: u64) -> PendingOidc {
        PendingOidc { nonce: "n".into(), pkce_verifier: "v".into(), return_to: None, started_at }
    }

    #[test]
    fn a_state_is_taken_once_and_only_while_fresh() {
        let mut map = remember(PendingMap::new(), "a".into(), pending(100), 100);
        assert!(take(&mut map, "b", 100).is_none());
        assert!(take(&mut map, "a", 100).is_some());
        assert!(take(&mut map, "a", 100).is_none(), "taken already");
        let mut map = remember(PendingMap::new(), "a".into(), pending(100), 100);
        assert!(take(&mut map, "a", 100 + PENDING_TTL_SECS + 1).is_none(), "too old");
    }

    #[test]
    fn at_most_four_wait_and_the_oldest_goes() {
        let mut map = PendingMap::new();
        for (index, state) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            map = remember(map, state.into(), pending(100 + index as u64), 105);
        }
        assert_eq!(map.keys().map(String::as_str).collect::<Vec<_>>(), ["b", "c", "d", "e"]);
    }

    #[test]
    fn the_providers_error_is_logged_short_and_on_one_line() {
        assert_eq!(printable("access_denied\nINFO forged line", 64), "access_deniedINFO forged line");
        assert_eq!(printable(&"x".repeat(100), 64).len(), 64);
    }

    #[test]
    fn prompt_settings_parse() {
        assert_eq!("select_account".parse(), Ok(AddAccountPrompt::SelectAccount));
        assert_eq!(" Login ".parse(), Ok(AddAccountPrompt::Login));
        assert_eq!("auto".parse(), Ok(AddAccountPrompt::Auto));
        assert_eq!("none".parse(), Ok(AddAccountPrompt::None));
        assert!("sometimes".parse::<AddAccountPrompt>().is_err());
    }
}
