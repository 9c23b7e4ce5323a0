//! One Firn session per client. A client is known either by the session token
//! a handshake gave it, or — when it sends its credentials (or none) on every
//! call — by its principal and its connection. A session ends when its
//! connection closes (connection sessions), when it has been idle too long, or
//! when the server stops; its prepared statements and unread results go with it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tonic::Status;

use crate::server::auth::Principal;
use crate::server::prepared::PreparedStatements;
use crate::server::results::PendingResults;
use crate::session::Session;

/// How a server makes a session for a new client.
pub(crate) type SessionFactory = Box<dyn Fn() -> Session + Send + Sync>;

/// A client's session and what it keeps between calls.
pub(crate) struct ClientSession {
    /// The Firn session (its own settings, the database's tables).
    pub(crate) session: Session,
    /// Prepared statements by handle.
    pub(crate) statements: PreparedStatements,
    /// Results waiting for the client to fetch them.
    pub(crate) results: PendingResults,
    last_used: Mutex<Instant>,
}

impl ClientSession {
    fn new(session: Session) -> Self {
        Self {
            session,
            statements: PreparedStatements::default(),
            results: PendingResults::default(),
            last_used: Mutex::new(Instant::now()),
        }
    }

    fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(*lock(&self.last_used))
    }
}

#[derive(Default)]
struct Table {
    by_token: HashMap<String, Arc<ClientSession>>,
    by_connection: HashMap<(u64, Principal), Arc<ClientSession>>,
    last_sweep: Option<Instant>,
}

impl Table {
    fn len(&self) -> usize {
        self.by_token.len() + self.by_connection.len()
    }
}

/// Limits on sessions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionLimits {
    /// A session unused this long is dropped.
    pub(crate) idle_timeout: Duration,
    /// At most this many sessions at once; more clients are refused.
    pub(crate) max_sessions: usize,
}

/// All sessions of a server.
pub(crate) struct Sessions {
    factory: SessionFactory,
    limits: SessionLimits,
    table: Mutex<Table>,
    created: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sessions {
    pub(crate) fn new(factory: SessionFactory, limits: SessionLimits) -> Self {
        Self {
            factory,
            limits,
            table: Mutex::new(Table::default()),
            created: AtomicUsize::new(0),
        }
    }

    /// The session a handshake gave `token`, if it still exists.
    pub(crate) fn by_token(&self, token: &str) -> Option<Arc<ClientSession>> {
        let session = self.swept().by_token.get(token).cloned()?;
        session.touch();
        Some(session)
    }

    /// A new session reachable with a new random token (after a handshake
    /// has authenticated the client).
    pub(crate) fn create_for_token(&self) -> Result<(String, Arc<ClientSession>), Status> {
        let mut table = self.swept();
        self.check_capacity(&table)?;
        let token = new_token();
        let session = Arc::new(ClientSession::new((self.factory)()));
        table.by_token.insert(token.clone(), Arc::clone(&session));
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok((token, session))
    }

    /// The session of `principal` on `connection`, made on first use.
    pub(crate) fn for_connection(
        &self,
        principal: Principal,
        connection: u64,
    ) -> Result<Arc<ClientSession>, Status> {
        let mut table = self.swept();
        let key = (connection, principal);
        if let Some(session) = table.by_connection.get(&key) {
            session.touch();
            return Ok(Arc::clone(session));
        }
        self.check_capacity(&table)?;
        let session = Arc::new(ClientSession::new((self.factory)()));
        table.by_connection.insert(key, Arc::clone(&session));
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok(session)
    }

    /// Drops the sessions bound to a connection that closed.
    pub(crate) fn connection_closed(&self, connection: u64) {
        lock(&self.table)
            .by_connection
            .retain(|(id, _), _| *id != connection);
    }

    /// How many sessions exist now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.table).len()
    }

    /// How many sessions were ever made.
    pub(crate) fn created(&self) -> usize {
        self.created.load(Ordering::Relaxed)
    }

    fn check_capacity(&self, table: &Table) -> Result<(), Status> {
        if table.len() >= self.limits.max_sessions {
            return Err(Status::resource_exhausted(format!(
                "the server already has {} client sessions (its limit); try again later",
                table.len()
            )));
        }
        Ok(())
    }

    /// The table, after dropping idle sessions (at most once a second).
    fn swept(&self) -> MutexGuard<'_, Table> {
        let mut table = lock(&self.table);
        let now = Instant::now();
        let due = table
            .last_sweep
            .is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(1));
        if due {
            let idle = self.limits.idle_timeout;
            table.by_token.retain(|_, s| s.idle_for(now) < idle);
            table.by_connection.retain(|_, s| s.idle_for(now) < idle);
            table.last_sweep = Some(now);
        }
        table
    }
}

/// A session token: 244 random bits from two version-4 UUIDs.
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    async fn sessions(idle: Duration, max: usize) -> Sessions {
        let db = Database::in_memory().await.expect("db");
        Sessions::new(
            Box::new(move || db.session()),
            SessionLimits {
                idle_timeout: idle,
                max_sessions: max,
            },
        )
    }

    #[tokio::test]
    async fn a_connection_has_one_session_per_principal_until_it_closes() {
        let sessions = sessions(Duration::from_secs(60), 10).await;
        let a = sessions.for_connection(Principal::Anonymous, 1).expect("a");
        let again = sessions.for_connection(Principal::Anonymous, 1).expect("a");
        assert!(Arc::ptr_eq(&a, &again));
        let b = sessions.for_connection(Principal::Anonymous, 2).expect("b");
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(sessions.len(), 2);
        sessions.connection_closed(1);
        assert_eq!(sessions.len(), 1);
    }

    #[tokio::test]
    async fn tokens_find_their_session_and_limits_hold() {
        let sessions = sessions(Duration::from_secs(60), 2).await;
        let (token, session) = sessions.create_for_token().expect("created");
        assert_eq!(token.len(), 64);
        let found = sessions.by_token(&token).expect("found");
        assert!(Arc::ptr_eq(&session, &found));
        assert!(sessions.by_token("not-a-token").is_none());
        sessions
            .for_connection(Principal::Anonymous, 7)
            .expect("second");
        let refused = sessions.create_for_token().err().expect("full");
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    }

    #[tokio::test]
    async fn idle_sessions_are_dropped() {
        let sessions = sessions(Duration::from_millis(0), 10).await;
        let (token, _) = sessions.create_for_token().expect("created");
        std::thread::sleep(Duration::from_millis(5));
        lock(&sessions.table).last_sweep = None;
        assert!(sessions.by_token(&token).is_none());
    }
}
