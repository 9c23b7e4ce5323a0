//! Which files a session may read and write.
//!
//! A session made for a remote client (the Flight SQL server) gets
//! [`FileAccess::Restricted`]: it may touch files in the database directory and
//! in the directories it was given, nothing else. The policy is enforced twice:
//!
//! - on the statement, before anything runs: the locations of
//!   `CREATE EXTERNAL TABLE … LOCATION` and `COPY … TO` (see [`check_statement`]),
//!   for a clear error that names the refused location;
//! - on every object-store call the session's queries make (see
//!   [`super::restricted_store`]), so no path — a glob, a symlink, a statement
//!   added later — reaches a file outside the allowed directories.
//!
//! Whatever the policy, the database's own directory is out of reach of file
//! paths in SQL (see [`check_statement`]): a `COPY … TO '<db>/firn.json'` or an
//! external table over a table's commit log could forge or destroy what only
//! Firn may write. A restricted session's object stores also refuse every write
//! under the database directory (Firn's own writes do not go through them).
//!
//! A Firn statement that reads or writes files itself (not through DataFusion's
//! object stores) must call [`FileAccess::check_location`] for its session's policy
//! ([`FileAccess::of`]) first.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;

use crate::error::{Error, Result};
use crate::services::Services;
use crate::session::restricted_store::RestrictedRegistry;
use crate::storage::store::DatabaseStore;

/// The files a session may read and write.
#[derive(Debug, Clone, Default)]
pub enum FileAccess {
    /// Any path the process can reach (the shell, embedded use).
    #[default]
    Unrestricted,
    /// Only the database directory and these directories (canonical paths).
    Restricted(AllowedPaths),
}

/// The directories a restricted session may use, resolved to canonical paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedPaths {
    roots: Vec<PathBuf>,
}

impl AllowedPaths {
    /// Resolves `roots` (each must exist) to canonical directories.
    pub fn new(roots: impl IntoIterator<Item = impl AsRef<Path>>) -> Result<Self> {
        let mut resolved = Vec::new();
        for root in roots {
            let root = root.as_ref();
            let canonical = std::fs::canonicalize(root)
                .map_err(|e| Error::io(format!("allowed path '{}'", root.display()), e))?;
            if !resolved.contains(&canonical) {
                resolved.push(canonical);
            }
        }
        Ok(Self { roots: resolved })
    }

    /// Adds a directory that is already canonical (the database directory).
    pub(crate) fn with_canonical(mut self, root: &Path) -> Self {
        if !self.roots.iter().any(|r| r == root) {
            self.roots.push(root.to_path_buf());
        }
        self
    }

    /// The allowed directories.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether `path` (absolute or relative to the working directory) lies
    /// inside an allowed directory once `..` and symbolic links are resolved.
    pub fn permits(&self, path: &Path) -> bool {
        match resolve(path) {
            Some(resolved) => self.roots.iter().any(|root| resolved.starts_with(root)),
            None => false,
        }
    }
}

impl FileAccess {
    /// A restricted policy allowing `roots` (each must exist); the database
    /// directory is added when a session is built.
    pub fn restricted(roots: impl IntoIterator<Item = impl AsRef<Path>>) -> Result<Self> {
        Ok(Self::Restricted(AllowedPaths::new(roots)?))
    }

    /// The policy of a session (unrestricted unless its builder set one).
    pub fn of(ctx: &SessionContext) -> Arc<FileAccess> {
        ctx.state()
            .config()
            .get_extension::<FileAccess>()
            .unwrap_or_default()
    }

    /// Refuses a location (a path, a `file://` URL or another URL) the policy does not allow.
    pub fn check_location(&self, location: &str) -> Result<()> {
        let FileAccess::Restricted(allowed) = self else {
            return Ok(());
        };
        let permitted = match local_path(location) {
            Some(path) => allowed.permits(&path),
            None => false,
        };
        if permitted {
            Ok(())
        } else {
            Err(Error::AccessDenied {
                location: location.to_string(),
            })
        }
    }
}

impl FileAccess {
    /// The configuration and runtime of a session under this policy: a
    /// restricted session carries the policy in its configuration and gets a
    /// runtime sharing the database's memory pool, disk manager and caches but
    /// handing out path-checked object stores.
    pub(crate) fn apply(
        &self,
        services: &Services,
        config: SessionConfig,
    ) -> (SessionConfig, Arc<RuntimeEnv>) {
        let FileAccess::Restricted(allowed) = self else {
            return (config, Arc::clone(&services.runtime));
        };
        // Statements may name only the allowed directories; the object stores also
        // reach the database directory, for reading its tables (never writing).
        let policy = Arc::new(FileAccess::Restricted(allowed.clone()));
        let database_dir = services.store.local_dir().map(Path::to_path_buf);
        let readable = match &database_dir {
            Some(dir) => allowed.clone().with_canonical(dir),
            None => allowed.clone(),
        };
        let mut runtime = (*services.runtime).clone();
        runtime.object_store_registry = Arc::new(RestrictedRegistry::new(
            Arc::clone(&runtime.object_store_registry),
            readable,
            database_dir,
            services.store.store_url(),
        ));
        (config.with_extension(policy), Arc::new(runtime))
    }
}

/// Checks the file locations a statement names: none may lie in the database
/// (its directory, or its prefix in an object store; any session), and each must
/// pass the session's policy.
pub(crate) fn check_statement(
    ctx: &SessionContext,
    statement: &DFStatement,
    database: &DatabaseStore,
) -> Result<()> {
    let access = FileAccess::of(ctx);
    let check = |location: &String| {
        if database.holds_url(location) {
            return Err(Error::ProtectedPath {
                location: location.clone(),
            });
        }
        check_outside_database(location, database.local_dir())?;
        access.check_location(location)
    };
    match statement {
        DFStatement::CreateExternalTable(create) => create.locations.iter().try_for_each(check),
        DFStatement::CopyTo(copy) => check(&copy.target),
        _ => Ok(()),
    }
}

/// Refuses a local location inside the database directory (after `..` and
/// symbolic links are resolved).
pub(crate) fn check_outside_database(location: &str, database_dir: Option<&Path>) -> Result<()> {
    let (Some(dir), Some(path)) = (database_dir, local_path(location)) else {
        return Ok(());
    };
    match resolve(&path) {
        Some(resolved) if !resolved.starts_with(dir) => Ok(()),
        // A path that cannot be resolved is refused rather than guessed at.
        _ => Err(Error::ProtectedPath {
            location: location.to_string(),
        }),
    }
}

/// The local path a location names: a plain path or a `file://` URL. Other
/// URLs (`s3://…`) are not local and get `None`.
fn local_path(location: &str) -> Option<PathBuf> {
    if let Some(rest) = location.strip_prefix("file://") {
        return url::Url::parse(&format!("file://{rest}"))
            .ok()?
            .to_file_path()
            .ok();
    }
    if location.contains("://") {
        return None;
    }
    Some(PathBuf::from(location))
}

/// `path` made absolute, with `.` and `..` removed and the longest existing
/// ancestor replaced by its canonical form (resolving symbolic links), so a
/// prefix test on the result is meaningful.
pub(crate) fn resolve(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    // Canonicalize the longest prefix that exists; keep the rest as written.
    let mut existing = normal.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(&existing) {
            let mut resolved = canonical;
            for part in rest.iter().rev() {
                resolved.push(part);
            }
            return Some(resolved);
        }
        let name = existing.file_name()?.to_os_string();
        rest.push(name);
        if !existing.pop() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_only_paths_inside_the_roots() {
        let dir = tempfile::tempdir().expect("tempdir");
        let allowed = AllowedPaths::new([dir.path()]).expect("exists");
        assert!(allowed.permits(&dir.path().join("a.csv")));
        assert!(allowed.permits(&dir.path().join("new/dir/b.parquet")));
        assert!(allowed.permits(&dir.path().join("*.csv")));
        assert!(!allowed.permits(Path::new("/etc/passwd")));
        assert!(!allowed.permits(&dir.path().join("../outside.csv")));
        assert!(!allowed.permits(&dir.path().join("sub/../../outside.csv")));
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_out_of_a_root_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.csv"), "a\n1\n").expect("write");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("symlink");
        let allowed = AllowedPaths::new([dir.path()]).expect("exists");
        assert!(!allowed.permits(&dir.path().join("link/secret.csv")));
    }

    #[test]
    fn locations_are_checked_by_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let access = FileAccess::restricted([dir.path()]).expect("exists");
        let inside = dir.path().join("x.csv");
        assert!(access.check_location(&inside.to_string_lossy()).is_ok());
        let url = url::Url::from_file_path(&inside).expect("absolute");
        assert!(access.check_location(url.as_str()).is_ok());
        let refused = access.check_location("/etc/passwd").unwrap_err();
        assert!(refused.to_string().contains("'/etc/passwd'"), "{refused}");
        assert!(access.check_location("file:///etc/passwd").is_err());
        assert!(access.check_location("s3://bucket/key.csv").is_err());
        assert!(
            FileAccess::Unrestricted
                .check_location("/etc/passwd")
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_restricted_session_uses_its_database_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let csv = outside.path().join("o.csv");
        std::fs::write(&csv, "a\n1\n").expect("csv");
        let db = crate::Database::open(dir.path().join("db").to_string_lossy())
            .await
            .expect("db");
        db.sql("CREATE TABLE t AS SELECT 1 AS a")
            .await
            .expect("table");
        // Defined by the local user, on a file the restricted session may not read.
        db.sql(&format!(
            "CREATE EXTERNAL TABLE o STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true')",
            csv.display()
        ))
        .await
        .expect("external table");
        let none: [&Path; 0] = [];
        let session = db
            .session_builder()
            .with_file_access(FileAccess::restricted(none).expect("policy"))
            .build();
        let rows = session.sql("SELECT * FROM t").await.expect("own tables");
        assert_eq!(rows[0].num_rows(), 1);
        let err = session
            .sql("CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::AccessDenied { .. }), "{err}");
        let target = outside.path().join("copy.csv");
        let err = session
            .sql(&format!(
                "COPY (SELECT 1 AS a) TO '{}' STORED AS CSV",
                target.display()
            ))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::AccessDenied { .. }), "{err}");
        assert!(!target.exists());
        let err = session.sql("SELECT * FROM o").await.unwrap_err();
        assert!(err.to_string().contains("privileges"), "{err}");
        // The unrestricted session still reads it.
        assert_eq!(
            db.sql("SELECT * FROM o").await.expect("read")[0].num_rows(),
            1
        );
    }

    #[tokio::test]
    async fn no_session_reaches_the_database_files_by_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_dir = dir.path().join("db");
        let db = crate::Database::open(db_dir.to_string_lossy())
            .await
            .expect("db");
        db.sql("CREATE TABLE orders AS SELECT 1 AS a")
            .await
            .expect("table");
        let marker = std::fs::read(db_dir.join("firn.json")).expect("marker");
        let forged_commit = db_dir.join("tables/orders/_log/00000000000000000099.json");
        let restricted = db
            .session_builder()
            .with_file_access(FileAccess::restricted([dir.path()]).expect("policy"))
            .build();
        for session in [db.session(), restricted] {
            for sql in [
                format!(
                    "COPY (SELECT 1 AS a) TO '{}' STORED AS JSON",
                    forged_commit.display()
                ),
                format!(
                    "COPY (SELECT 1 AS a) TO '{}' STORED AS JSON",
                    db_dir.join("firn.json").display()
                ),
                // `..` and a file:// URL lead to the same place.
                format!(
                    "COPY (SELECT 1 AS a) TO '{}/elsewhere/../db/x.csv' STORED AS CSV",
                    dir.path().display()
                ),
                format!(
                    "COPY (SELECT 1 AS a) TO 'file://{}/y.csv' STORED AS CSV",
                    db_dir.display()
                ),
                format!(
                    "CREATE EXTERNAL TABLE log STORED AS JSON LOCATION '{}/tables/orders/_log/'",
                    db_dir.display()
                ),
            ] {
                let err = session.sql(&sql).await.unwrap_err();
                assert!(matches!(err, Error::ProtectedPath { .. }), "{sql}: {err}");
                assert!(err.to_string().contains("database directory"), "{err}");
            }
        }
        assert!(!forged_commit.exists());
        assert!(!db_dir.join("x.csv").exists() && !db_dir.join("y.csv").exists());
        assert_eq!(
            std::fs::read(db_dir.join("firn.json")).expect("marker"),
            marker
        );
        // Beside the database is fine for a local session.
        db.sql(&format!(
            "COPY (SELECT 1 AS a) TO '{}' STORED AS CSV",
            dir.path().join("export.csv").display()
        ))
        .await
        .expect("export beside the database");
        drop(db);
        let reopened = crate::Database::open(db_dir.to_string_lossy())
            .await
            .expect("reopens");
        assert_eq!(
            reopened.sql("SELECT * FROM orders").await.expect("read")[0].num_rows(),
            1
        );
    }

    #[test]
    fn a_missing_allowed_path_is_an_error() {
        let err = AllowedPaths::new(["/definitely/not/here"]).unwrap_err();
        assert!(err.to_string().contains("/definitely/not/here"), "{err}");
    }
}
