//! A real Ballista cluster for tests: a `firn cluster scheduler` and N
//! `firn cluster executor` processes on loopback, started from the binary
//! Cargo builds for the integration tests. Every wait is bounded and fails
//! with the tails of the processes' logs; dropping the cluster kills and reaps
//! every process, also when a test fails.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One cluster at a time per test binary: a 2-core machine runs one well.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Scheduler and executors, running until dropped.
pub struct TestCluster {
    _turn: MutexGuard<'static, ()>,
    logs: PathBuf,
    port: u16,
    scheduler: Option<Child>,
    executors: Vec<Option<Child>>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn spawn(args: &[String], env: &[(&str, String)], log: &Path) -> Child {
    let out = File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start firn")
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl TestCluster {
    /// Starts a scheduler and `executors` executors (2 task slots each) with
    /// logs in `dir`, and waits until all executors have registered.
    pub fn start(dir: &Path, executors: usize) -> Self {
        Self::start_with_env(dir, executors, &[])
    }

    /// [`Self::start`], with `env` added to every process's environment (the
    /// `AWS_*` variables of an S3-compatible server, say).
    pub fn start_with_env(dir: &Path, executors: usize, env: &[(&str, String)]) -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let logs = dir.join("cluster-logs");
        std::fs::create_dir_all(&logs).expect("log dir");
        let scheduler_log = logs.join("scheduler.log");
        let scheduler = spawn(
            &[
                "cluster".into(),
                "scheduler".into(),
                "--port".into(),
                "0".into(),
                "--min-executors".into(),
                executors.to_string(),
                "--executor-timeout".into(),
                "6".into(),
            ],
            env,
            &scheduler_log,
        );
        let mut cluster = Self {
            _turn: turn,
            logs,
            port: 0,
            scheduler: Some(scheduler),
            executors: Vec::new(),
        };
        cluster.port = cluster.wait_for("scheduler to listen", || {
            std::fs::read_to_string(&scheduler_log)
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix("firn scheduler listening on "))
                .and_then(|a| a.rsplit_once(':'))
                .and_then(|(_, p)| p.trim().parse().ok())
        });
        for i in 0..executors {
            let work = dir.join(format!("executor-{i}"));
            let child = spawn(
                &[
                    "cluster".into(),
                    "executor".into(),
                    "--scheduler".into(),
                    format!("127.0.0.1:{}", cluster.port),
                    "--port".into(),
                    free_port().to_string(),
                    "--grpc-port".into(),
                    free_port().to_string(),
                    "--vcores".into(),
                    "2".into(),
                    "--memory-pool".into(),
                    "512M".into(),
                    "--heartbeat".into(),
                    "1".into(),
                    "--work-dir".into(),
                    work.display().to_string(),
                ],
                env,
                &cluster.executor_log(i),
            );
            cluster.executors.push(Some(child));
        }
        let port = cluster.port;
        cluster.wait_for("executors to register (/readyz)", || {
            ready(port).then_some(())
        });
        cluster
    }

    /// The address sessions connect to.
    pub fn address(&self) -> String {
        format!("df://127.0.0.1:{}", self.port)
    }

    fn executor_log(&self, i: usize) -> PathBuf {
        self.logs.join(format!("executor-{i}.log"))
    }

    /// Tasks executor `i` reports finished.
    pub fn finished_tasks(&self, i: usize) -> usize {
        std::fs::read_to_string(self.executor_log(i))
            .unwrap_or_default()
            .matches("Finished task")
            .count()
    }

    /// Kills executor `i` (as a crash would).
    pub fn kill_executor(&mut self, i: usize) {
        if let Some(mut child) = self.executors[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last lines of every process's log, for failure messages.
    pub fn log_tails(&self) -> String {
        let mut text = format!(
            "--- scheduler\n{}\n",
            tail(&self.logs.join("scheduler.log"), 15)
        );
        for i in 0..self.executors.len() {
            text += &format!("--- executor {i}\n{}\n", tail(&self.executor_log(i), 15));
        }
        text
    }

    fn wait_for<T>(&mut self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(value) = check() {
                return value;
            }
            let exited = self
                .scheduler
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_some();
            if exited || Instant::now() > deadline {
                panic!(
                    "timed out waiting for the {what}{}\n{}",
                    if exited {
                        " (the scheduler exited)"
                    } else {
                        ""
                    },
                    self.log_tails()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Whether the scheduler's `/readyz` answers 200 (all executors registered).
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for child in self
            .executors
            .iter_mut()
            .chain(std::iter::once(&mut self.scheduler))
        {
            if let Some(mut child) = child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
