//! Rate limits (CJIS 5.9.5 AC-7 companion; OWASP ASVS V2.2.1 anti-automation): login attempts
//! per client address and per account, form posts per client address, and requests to the
//! public transparency report per client address, each a GCRA quota
//! (governor) kept in memory. A refused request gets 429 with `Retry-After`; nothing it carried
//! is processed. The account lockout after 5 failed logons (AC-7) is separate and persistent.
//!
//! Client address = the socket peer (never `X-Forwarded-For`): behind a reverse proxy every
//! client shares the proxy's address, so raise `http.posts_per_minute` and
//! `http.login_attempts_per_minute` there (docs/OPERATIONS.md).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::HttpSettings;

/// The four limiters. `None` = that limit is off (configured 0).
pub struct RateLimits {
    login_ip: Option<DefaultKeyedRateLimiter<String>>,
    login_account: Option<DefaultKeyedRateLimiter<String>>,
    post_ip: Option<DefaultKeyedRateLimiter<String>>,
    public_ip: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

/// `per_minute` sustained, bursts of twice that; `None` for 0.
fn quota(per_minute: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(per_minute.saturating_mul(2)).unwrap_or(rate);
    Some(Quota::per_minute(rate).allow_burst(burst))
}

impl RateLimits {
    pub fn new(s: &HttpSettings) -> RateLimits {
        RateLimits {
            login_ip: quota(s.login_attempts_per_minute).map(RateLimiter::keyed),
            login_account: quota(s.account_login_attempts_per_minute).map(RateLimiter::keyed),
            post_ip: quota(s.posts_per_minute).map(RateLimiter::keyed),
            public_ip: quota(s.public_requests_per_minute).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    fn check(
        &self,
        l: &Option<DefaultKeyedRateLimiter<String>>,
        key: &str,
    ) -> Result<(), Duration> {
        let Some(l) = l else { return Ok(()) };
        if l.len() > 100_000 {
            l.retain_recent();
        }
        l.check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// One login attempt from `ip` for `email` (case-insensitive). `Err` holds how long to wait.
    pub fn login(&self, ip: &str, email: &str) -> Result<(), Duration> {
        self.check(&self.login_ip, ip)?;
        self.check(&self.login_account, &email.trim().to_lowercase())
    }

    /// One second-factor attempt of user `user_id` (per account only: the password step already
    /// counted against the address, and wrong codes count towards the lockout).
    pub fn second_factor(&self, user_id: i64) -> Result<(), Duration> {
        self.check(&self.login_account, &format!("mfa:{user_id}"))
    }

    /// One form post from `ip`. `Err` holds how long to wait.
    pub fn post(&self, ip: &str) -> Result<(), Duration> {
        self.check(&self.post_ip, ip)
    }

    /// One request from `ip` to the public transparency report (no login; each one aggregates
    /// the period's cases, and the PDF is signed). `Err` holds how long to wait.
    pub fn public(&self, ip: &str) -> Result<(), Duration> {
        self.check(&self.public_ip, ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(login: u32, account: u32, posts: u32) -> HttpSettings {
        HttpSettings {
            bind: "127.0.0.1:0".into(),
            secure_cookies: false,
            idle_timeout_seconds: 1800,
            login_attempts_per_minute: login,
            account_login_attempts_per_minute: account,
            posts_per_minute: posts,
            public_requests_per_minute: 2,
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }

    #[test]
    fn bursts_of_twice_the_rate_then_refusal_with_a_wait() {
        let l = RateLimits::new(&settings(3, 100, 0));
        for _ in 0..6 {
            assert!(l.login("10.0.0.1", "a@x").is_ok());
        }
        let wait = l.login("10.0.0.1", "b@x").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            l.login("10.0.0.2", "a@x").is_ok(),
            "another address is not affected"
        );
        assert!(l.post("10.0.0.1").is_ok(), "0 = off");
        for _ in 0..4 {
            assert!(l.public("10.0.0.1").is_ok());
        }
        assert!(
            l.public("10.0.0.1").is_err(),
            "public report: 2 a minute, bursts of 4"
        );
        assert!(l.login("10.0.0.3", "c@x").is_ok(), "limits are kept apart");
    }

    #[test]
    fn one_account_is_limited_across_addresses() {
        let l = RateLimits::new(&settings(1000, 2, 10));
        for i in 0..4 {
            assert!(l.login(&format!("10.0.0.{i}"), "Dana@X").is_ok());
        }
        assert!(l.login("10.9.9.9", "dana@x").is_err());
    }
}
