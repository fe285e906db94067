//! Console sessions: a random 256-bit id in a cookie, the caller and a CSRF token on the server,
//! in memory (a restart logs everyone out), forgotten after [`IDLE_TIMEOUT`] without a request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::Principal;

/// A session unused this long is gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);
/// The cookie holding the session id.
pub const COOKIE: &str = "reko_console";

/// 32 random bytes from the OS, hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A logged-in caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// Every state-changing form carries it; bound to this session only.
    pub csrf: String,
    last_seen: Instant,
}

impl Session {
    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The sessions, by id.
#[derive(Debug)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
    idle_timeout: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::with_idle_timeout(IDLE_TIMEOUT)
    }
}

impl Sessions {
    pub fn with_idle_timeout(idle_timeout: Duration) -> Self {
        Sessions { by_id: Mutex::new(HashMap::new()), idle_timeout }
    }

    /// A new session for `principal`: its id (for the cookie). Expired sessions are swept here.
    pub fn create(&self, principal: Principal) -> String {
        self.create_at(principal, Instant::now())
    }

    fn create_at(&self, principal: Principal, now: Instant) -> String {
        let id = random_token();
        let session = Session { principal, csrf: random_token(), last_seen: now };
        let mut map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| now.duration_since(s.last_seen) < self.idle_timeout);
        map.insert(id.clone(), session);
        id
    }

    /// The live session with this id, its idle clock restarted; an expired one is removed.
    pub fn get(&self, id: &str) -> Option<Session> {
        self.get_at(id, Instant::now())
    }

    fn get_at(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(id)?;
        if now.duration_since(session.last_seen) >= self.idle_timeout {
            map.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Logs out.
    pub fn remove(&self, id: &str) {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyScope;

    fn root() -> Principal {
        Principal { access_key_id: "AKIDROOT".into(), scope: KeyScope::default() }
    }

    #[test]
    fn sessions_expire_after_the_idle_timeout_and_requests_keep_them_alive() {
        let sessions = Sessions::with_idle_timeout(Duration::from_secs(60));
        let t0 = Instant::now();
        let id = sessions.create_at(root(), t0);
        assert_eq!(id.len(), 64, "256 bits, hex");
        assert!(sessions.get_at(&id, t0 + Duration::from_secs(59)).is_some());
        // Used at 59 s: alive until 119 s.
        assert!(sessions.get_at(&id, t0 + Duration::from_secs(118)).is_some());
        assert!(sessions.get_at(&id, t0 + Duration::from_secs(178)).is_none(), "idle for 60 s");
        assert!(sessions.get_at(&id, t0).is_none(), "removed once expired");
        assert!(sessions.get("no-such-session").is_none());

        // Expired sessions are swept when another is created.
        let old = sessions.create_at(root(), t0);
        let new = sessions.create_at(root(), t0 + Duration::from_secs(61));
        assert_ne!(old, new);
        assert_eq!(sessions.len(), 1);
        sessions.remove(&new);
        assert!(sessions.get_at(&new, t0 + Duration::from_secs(61)).is_none(), "logged out");
    }

    #[test]
    fn the_csrf_token_is_bound_to_its_session() {
        let sessions = Sessions::default();
        let a = sessions.get(&sessions.create(root())).unwrap();
        let b = sessions.get(&sessions.create(root())).unwrap();
        assert_eq!(a.csrf.len(), 64);
        assert!(a.csrf_ok(&a.csrf));
        assert!(!a.csrf_ok(&b.csrf), "another session's token");
        assert!(!a.csrf_ok(""));
        assert!(!a.csrf_ok(&a.csrf[..63]));
        let mut flipped = a.csrf.clone().into_bytes();
        flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
        assert!(!a.csrf_ok(std::str::from_utf8(&flipped).unwrap()));
    }
}
