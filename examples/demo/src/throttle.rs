//! Limits on failed sign-ins, per account and per client, and on email-link
//! asks per client, counted in memory in fixed windows.
//!
//! [`SignInThrottle::check_client`] is called before the database: a client
//! that has used up its failures costs no query. [`SignInThrottle::begin`] is
//! called once the account is known ([`AccountKey`]: the account the email
//! matched, or the address itself when no account has it) and before the
//! password hash: it refuses an attempt once the account or the client (the
//! peer address) has used up its failures for the window, and otherwise
//! reserves one failure in both counters. Settle the returned [`Attempt`]:
//! [`Attempt::failed`] keeps the reservation, [`Attempt::succeeded`] clears the
//! account's counter and gives the client its failure back; dropped unsettled
//! (an error, a busy hasher, a cancelled request) it gives both back.
//! Reserving first means concurrent guesses cannot all pass the check before
//! any of them is counted.
//!
//! [`SignInThrottle::count_link_ask`] counts every ask for an email link per
//! client: links are limited per account and asking browser, and a new
//! browser costs nothing, so the client's count is what bounds the mail one
//! sender can cause.
//!
//! The counters are bounded: at most [`ThrottleConfig::max_tracked`] accounts
//! and as many clients (and as many clients asking for links). When a map is
//! full, expired windows are pruned, then the oldest window is evicted, so a bot
//! spraying new emails or addresses cannot grow memory without bound.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};

/// At most `max_failures` failed sign-ins (or email-link asks) per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failed attempts allowed in one window; the next one is refused. For
    /// email-link asks, every ask counts.
    pub max_failures: u32,
    /// How long a window lasts, from its first failure.
    pub window: Duration,
}

/// Fifteen minutes.
const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

/// Per account (email): 5 failed attempts per 15 minutes.
pub const PER_ACCOUNT: Limit = Limit { max_failures: 5, window: FIFTEEN_MINUTES };
/// Per client (peer IP address, IPv6 by /64): 20 failed attempts per 15 minutes.
pub const PER_CLIENT: Limit = Limit { max_failures: 20, window: FIFTEEN_MINUTES };
/// Email-link asks per client (peer IP address, IPv6 by /64): 5 per 15 minutes,
/// whatever the address and whether or not an account has it.
pub const PER_CLIENT_LINK_ASKS: Limit = Limit { max_failures: 5, window: FIFTEEN_MINUTES };
/// The most accounts, and the most clients, counted at once.
pub const MAX_TRACKED: usize = 10_000;
/// Emails are counted by at most this many bytes (the longest valid address):
/// longer ones cannot be accounts, and keys stay small.
const MAX_KEY_LEN: usize = 254;

/// How sign-in is throttled.
#[derive(Clone)]
pub struct ThrottleConfig {
    /// The limit per account (or per address that no account has).
    pub per_account: Limit,
    /// The limit per client (peer address; `X-Forwarded-For` is not trusted).
    pub per_client: Limit,
    /// The email-link asks allowed per client (peer address).
    pub per_client_link_asks: Limit,
    /// The most accounts, and the most clients, counted at once.
    pub max_tracked: usize,
    /// Where the time comes from ([`SystemClock`]; tests use
    /// [`crate::clock::ManualClock`]).
    pub clock: Arc<dyn Clock>,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_account: PER_ACCOUNT,
            per_client: PER_CLIENT,
            per_client_link_asks: PER_CLIENT_LINK_ASKS,
            max_tracked: MAX_TRACKED,
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for ThrottleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleConfig")
            .field("per_account", &self.per_account)
            .field("per_client", &self.per_client)
            .field("per_client_link_asks", &self.per_client_link_asks)
            .field("max_tracked", &self.max_tracked)
            .finish_non_exhaustive()
    }
}

/// An attempt refused because an account or a client used up its failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-in attempts; retry in {} s", self.retry_after_secs())]
pub struct Throttled {
    /// Until the window that refused it ends.
    pub retry_after: Duration,
}

impl Throttled {
    /// [`Self::retry_after`] in whole seconds, rounded up, at least 1: the
    /// `Retry-After` header's value.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// Who a client is for counting: its IPv4 address, or its IPv6 /64 network (one
/// host usually holds a whole /64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// An IPv4 client (IPv4-mapped IPv6 included).
    V4(Ipv4Addr),
    /// An IPv6 client's first 64 bits.
    V6Network(u64),
    /// No peer address: all such clients share one counter.
    Unknown,
}

impl ClientKey {
    /// The key of the client at `ip`.
    pub fn of(ip: Option<IpAddr>) -> Self {
        match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => Self::V4(v4),
            Some(IpAddr::V6(v6)) => Self::V6Network((v6.to_bits() >> 64) as u64),
            None => Self::Unknown,
        }
    }
}

/// What an attempt's failures count against: the account the email matched,
/// whatever was typed to reach it, or the address itself when no account has
/// it (so probing unknown addresses is throttled too).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountKey {
    /// An account, by its primary key.
    Account(i64),
    /// An address no account has (trimmed and lower-cased): at most
    /// `MAX_KEY_LEN` bytes of it.
    NoAccount(String),
}

impl AccountKey {
    /// The key of an address that no account has.
    pub fn no_account(email: &str) -> Self {
        let mut end = email.len().min(MAX_KEY_LEN);
        while !email.is_char_boundary(end) {
            end -= 1;
        }
        Self::NoAccount(email[..end].to_owned())
    }
}

/// One key's current window.
#[derive(Clone, Copy, Debug)]
struct Window {
    start: Instant,
    failures: u32,
}

/// The windows of one kind of key.
struct Counters<K> {
    windows: HashMap<K, Window>,
    limit: Limit,
}

impl<K: Eq + Hash + Clone> Counters<K> {
    fn new(limit: Limit) -> Self {
        Self { windows: HashMap::new(), limit }
    }

    fn is_expired(&self, window: &Window, now: Instant) -> bool {
        now.saturating_duration_since(window.start) >= self.limit.window
    }

    /// How long until `key` may fail again, if it has no failures left.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let window = self.windows.get(key).filter(|window| !self.is_expired(window, now))?;
        (window.failures >= self.limit.max_failures)
            .then(|| self.limit.window.saturating_sub(now.saturating_duration_since(window.start)))
    }

    /// Counts one failure for `key`; returns the start of its window.
    fn record(&mut self, key: K, now: Instant, max_tracked: usize) -> Instant {
        if let Some(window) = self.windows.get_mut(&key) {
            if now.saturating_duration_since(window.start) < self.limit.window {
                window.failures = window.failures.saturating_add(1);
                return window.start;
            }
        } else if self.windows.len() >= max_tracked {
            self.make_room(now, max_tracked);
        }
        self.windows.insert(key, Window { start: now, failures: 1 });
        now
    }

    /// Drops expired windows, then the oldest ones, until there is room for one more.
    fn make_room(&mut self, now: Instant, max_tracked: usize) {
        let window = self.limit.window;
        self.windows.retain(|_, counted| now.saturating_duration_since(counted.start) < window);
        while self.windows.len() >= max_tracked.max(1) {
            let Some(oldest) = self.windows.iter().min_by_key(|(_, counted)| counted.start).map(|(key, _)| key.clone())
            else {
                break;
            };
            self.windows.remove(&oldest);
            tracing::debug!("sign-in throttle full: forgot the oldest window");
        }
    }

    /// Takes back one failure counted in the window that started at `start`.
    fn refund(&mut self, key: &K, start: Instant) {
        if let Some(window) = self.windows.get_mut(key).filter(|window| window.start == start) {
            window.failures = window.failures.saturating_sub(1);
            if window.failures == 0 {
                self.windows.remove(key);
            }
        }
    }

    fn clear(&mut self, key: &K) {
        self.windows.remove(key);
    }
}

struct State {
    accounts: Counters<AccountKey>,
    clients: Counters<ClientKey>,
    link_asks: Counters<ClientKey>,
}

/// The sign-in throttle: shared by every worker (put it in `app_data` once).
pub struct SignInThrottle {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    max_tracked: usize,
}

impl fmt::Debug for SignInThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInThrottle").field("max_tracked", &self.max_tracked).finish_non_exhaustive()
    }
}

impl SignInThrottle {
    /// An empty throttle.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            state: Mutex::new(State {
                accounts: Counters::new(config.per_account),
                clients: Counters::new(config.per_client),
                link_asks: Counters::new(config.per_client_link_asks),
            }),
            clock: config.clock,
            max_tracked: config.max_tracked,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The counters stay consistent whatever panicked while they were held.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Refuses `client` when it has no failures left in its window; reserves
    /// nothing. Called before the account is looked up, so that a client out
    /// of failures costs no query ([`Self::begin`] checks it again).
    pub fn check_client(&self, client: Option<IpAddr>) -> Result<(), Throttled> {
        let client = ClientKey::of(client);
        let now = self.clock.now();
        match self.lock().clients.wait(&client, now) {
            Some(retry_after) => Err(Throttled { retry_after }),
            None => Ok(()),
        }
    }

    /// Starts a sign-in attempt against `account` from `client`: refused when
    /// either has no failures left in its window, otherwise one failure is
    /// reserved in both until the [`Attempt`] is settled.
    pub fn begin(&self, account: AccountKey, client: Option<IpAddr>) -> Result<Attempt<'_>, Throttled> {
        let client = ClientKey::of(client);
        let now = self.clock.now();
        let mut state = self.lock();
        let waits = [state.accounts.wait(&account, now), state.clients.wait(&client, now)];
        if let Some(retry_after) = waits.into_iter().flatten().max() {
            return Err(Throttled { retry_after });
        }
        let account_start = state.accounts.record(account.clone(), now, self.max_tracked);
        let client_start = state.clients.record(client, now, self.max_tracked);
        Ok(Attempt { throttle: self, account, client, account_start, client_start, settled: false })
    }

    /// Counts one email-link ask from `client`, or refuses it when the client
    /// has asked [`ThrottleConfig::per_client_link_asks`] times this window.
    pub fn count_link_ask(&self, client: Option<IpAddr>) -> Result<(), Throttled> {
        let client = ClientKey::of(client);
        let now = self.clock.now();
        let mut state = self.lock();
        if let Some(retry_after) = state.link_asks.wait(&client, now) {
            return Err(Throttled { retry_after });
        }
        state.link_asks.record(client, now, self.max_tracked);
        Ok(())
    }

    /// How many accounts and clients are being counted.
    pub fn tracked(&self) -> (usize, usize) {
        let state = self.lock();
        (state.accounts.windows.len(), state.clients.windows.len())
    }
}

/// A sign-in attempt that passed the throttle, holding one reserved failure
/// for its account and its client.
#[must_use = "settle the attempt with `failed` or `succeeded`; dropping it gives the failure back"]
pub struct Attempt<'a> {
    throttle: &'a SignInThrottle,
    account: AccountKey,
    client: ClientKey,
    account_start: Instant,
    client_start: Instant,
    settled: bool,
}

impl Attempt<'_> {
    /// The credentials were wrong (or the account may not sign in): the
    /// reserved failure stays counted.
    pub fn failed(mut self) {
        self.settled = true;
    }

    /// Signed in: the account's counter starts over, and the client gets its
    /// reserved failure back (its other failures stay: signing in to an account
    /// of one's own does not buy more guesses at others).
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut state = self.throttle.lock();
        state.accounts.clear(&self.account);
        state.clients.refund(&self.client, self.client_start);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // No password was judged: give both failures back.
        let mut state = self.throttle.lock();
        state.accounts.refund(&self.account, self.account_start);
        state.clients.refund(&self.client, self.client_start);
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;
    use crate::clock::ManualClock;

    const CLIENT: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));

    fn alice() -> AccountKey {
        AccountKey::Account(1)
    }

    fn throttle(clock: &Arc<ManualClock>, max_tracked: usize) -> SignInThrottle {
        SignInThrottle::new(ThrottleConfig { max_tracked, clock: clock.clone(), ..ThrottleConfig::default() })
    }

    #[test]
    fn failures_are_counted_until_the_window_ends() {
        let clock = Arc::new(ManualClock::new());
        let throttle = throttle(&clock, MAX_TRACKED);
        for _ in 0..PER_ACCOUNT.max_failures {
            throttle.begin(alice(), CLIENT).unwrap().failed();
        }
        clock.advance(Duration::from_secs(60));
        let refused = throttle.begin(alice(), CLIENT).err().unwrap();
        assert_eq!(refused.retry_after, FIFTEEN_MINUTES - Duration::from_secs(60));
        assert_eq!(refused.retry_after_secs(), 840);
        clock.advance(Duration::from_secs(840));
        throttle.begin(alice(), CLIENT).unwrap().succeeded();
    }

    #[test]
    fn unsettled_attempts_are_given_back_and_success_clears_the_account() {
        let clock = Arc::new(ManualClock::new());
        let throttle = throttle(&clock, MAX_TRACKED);
        for _ in 0..10 {
            drop(throttle.begin(alice(), CLIENT).unwrap());
        }
        assert_eq!(throttle.tracked(), (0, 0));
        throttle.begin(alice(), CLIENT).unwrap().failed();
        throttle.begin(alice(), CLIENT).unwrap().succeeded();
        // The account starts over; the client keeps its one failure.
        assert_eq!(throttle.tracked(), (0, 1));
    }

    #[test]
    fn the_counters_stay_bounded() {
        let clock = Arc::new(ManualClock::new());
        let throttle = throttle(&clock, 3);
        for i in 0..50u8 {
            let client = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)));
            throttle.begin(AccountKey::no_account(&format!("user{i}@example.com")), client).unwrap().failed();
            let (accounts, clients) = throttle.tracked();
            assert!(accounts <= 3 && clients <= 3, "{accounts} accounts, {clients} clients");
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_network_and_long_emails_are_truncated() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(Some(a.into())), ClientKey::of(Some(b.into())));
        assert_ne!(ClientKey::of(Some(a.into())), ClientKey::of(Some(c.into())));
        let mapped: Ipv6Addr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(ClientKey::of(Some(mapped.into())), ClientKey::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let AccountKey::NoAccount(key) = AccountKey::no_account(&"é".repeat(200)) else { unreachable!() };
        assert_eq!(key.len(), 254);
    }

    #[test]
    fn a_client_out_of_failures_is_refused_before_any_account_is_known() {
        let clock = Arc::new(ManualClock::new());
        let throttle = throttle(&clock, MAX_TRACKED);
        for i in 0..PER_CLIENT.max_failures {
            throttle.check_client(CLIENT).unwrap();
            throttle.begin(AccountKey::Account(i.into()), CLIENT).unwrap().failed();
        }
        assert_eq!(throttle.check_client(CLIENT).err().map(|refused| refused.retry_after), Some(FIFTEEN_MINUTES));
        throttle.check_client(Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))).unwrap();
    }

    #[test]
    fn every_link_ask_counts_per_client_until_the_window_ends() {
        let clock = Arc::new(ManualClock::new());
        let throttle = throttle(&clock, MAX_TRACKED);
        for _ in 0..PER_CLIENT_LINK_ASKS.max_failures {
            throttle.count_link_ask(CLIENT).unwrap();
        }
        assert!(throttle.count_link_ask(CLIENT).is_err());
        throttle.count_link_ask(Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))).unwrap();
        // Asks and failed sign-ins are counted apart.
        throttle.begin(alice(), CLIENT).unwrap().succeeded();
        clock.advance(FIFTEEN_MINUTES);
        throttle.count_link_ask(CLIENT).unwrap();
    }
}
