//! Running the real `platevault` binary: a command builder ([`pv`], [`Cmd`], [`Run`],
//! [`Running`]), temp directories with a key file and a store made by the CLI ([`Env`]), a
//! one-shot [`cli`] call, and checks of what it prints.
//!
//! Commands from [`Cmd`] run with a clean environment for platevault (`PLATEVAULT_STORE`,
//! `PLATEVAULT_MASTER_KEY` and `PLATEVAULT_LOG` removed unless a test sets them) and, from
//! an [`Env`], with the temp directory as their working directory.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{CLI_T0, is_hex};

/// The binary under test, built with the package.
pub const BIN: &str = env!("CARGO_BIN_EXE_platevault");

/// The environment variables the binary reads; removed from every child unless set.
const PV_ENV: [&str; 3] = [
    "PLATEVAULT_STORE",
    "PLATEVAULT_MASTER_KEY",
    "PLATEVAULT_LOG",
];

/// What a finished command left behind.
#[derive(Debug)]
pub struct Run {
    /// What was run (for messages).
    pub what: String,
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code and returns the run.
    #[track_caller]
    pub fn code(self, want: i32) -> Self {
        assert_eq!(
            self.code, want,
            "`{}` exited {} (want {want})\nstdout: {}\nstderr: {}",
            self.what, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit 0 and returns the run.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.code(0)
    }

    /// All of standard output parsed as exactly one JSON document (trailing whitespace
    /// allowed, nothing else): the `--json` contract.
    #[track_caller]
    pub fn json(&self) -> Value {
        match serde_json::from_str::<Value>(&self.stdout) {
            Ok(v) => v,
            Err(e) => panic!(
                "`{}` (exit {}): stdout is not exactly one JSON document ({e}):\n{}\nstderr: {}",
                self.what, self.code, self.stdout, self.stderr
            ),
        }
    }

    /// Standard output as JSON Lines: every non-empty line one JSON object.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!("`{}`: line {l:?} is not one JSON document: {e}", self.what)
                });
                assert!(
                    v.is_object(),
                    "`{}`: line {l:?} is not an object",
                    self.what
                );
                v
            })
            .collect()
    }
}

/// A command line being built.
pub struct Cmd {
    args: Vec<OsString>,
    envs: Vec<(String, OsString)>,
    stdin: Option<Vec<u8>>,
    cwd: Option<PathBuf>,
}

/// A bare `platevault` command: no store, no key.
pub fn pv() -> Cmd {
    Cmd {
        args: Vec::new(),
        envs: Vec::new(),
        stdin: None,
        cwd: None,
    }
}

impl Cmd {
    /// Adds one argument.
    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, it: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(mut self, k: &str, v: impl Into<OsString>) -> Self {
        self.envs.push((k.to_string(), v.into()));
        self
    }

    /// Feeds these bytes on standard input (otherwise standard input is empty).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs in this directory.
    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.args(&self.args);
        for k in PV_ENV {
            c.env_remove(k);
        }
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        if let Some(d) = &self.cwd {
            c.current_dir(d);
        }
        c
    }

    fn describe(&self) -> String {
        let mut s = String::from("platevault");
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Runs to the end.
    pub fn run(self) -> Run {
        let mut c = self.command();
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn platevault");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            if let Some(bytes) = &self.stdin {
                stdin.write_all(bytes).expect("write stdin");
            }
        }
        let out = child.wait_with_output().expect("wait for platevault");
        Run {
            what: self.describe(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts the command with standard input and output piped, and returns at once.
    pub fn spawn(self) -> Running {
        let mut c = self.command();
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Running {
            what: self.describe(),
            child: Some(c.spawn().expect("spawn platevault")),
        }
    }
}

/// A command still running; killed if the test ends before it is finished.
pub struct Running {
    what: String,
    child: Option<Child>,
}

impl Running {
    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Writes `bytes` to its standard input, closes it, and waits for the end.
    pub fn finish(mut self, bytes: &[u8]) -> Run {
        let mut child = self.child.take().expect("running child");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(bytes).expect("write stdin");
        }
        let out = child.wait_with_output().expect("wait for platevault");
        Run {
            what: self.what.clone(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A temp directory with a master key file and a store path in it.
pub struct Env {
    /// Keeps the directory alive.
    pub tmp: tempfile::TempDir,
    /// `<tmp>/store` (not created until `init`).
    pub store: PathBuf,
    /// `<tmp>/master.key`, made by `keygen --out`.
    pub key: PathBuf,
}

impl Env {
    /// A temp directory and a fresh key file (no store yet).
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = tmp.path().join("store");
        let key = tmp.path().join("master.key");
        pv().arg("keygen")
            .arg("--out")
            .arg(&key)
            .cwd(tmp.path())
            .run()
            .ok();
        Env { tmp, store, key }
    }

    /// A simulation store (`init --now CLI_T0`) with the default policy.
    pub fn sim() -> Self {
        let e = Env::new();
        e.cmd().args(["--now", CLI_T0, "init", "--json"]).run().ok();
        e
    }

    /// The temp directory.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A file in the temp directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes a file in the temp directory and returns its path.
    pub fn write(&self, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
        let p = self.file(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, body).expect("write file");
        p
    }

    /// `platevault --store <store> --master-key-file <key>`, run in the temp directory.
    pub fn cmd(&self) -> Cmd {
        self.bare()
            .arg("--store")
            .arg(&self.store)
            .arg("--master-key-file")
            .arg(&self.key)
    }

    /// `platevault --store <store>` (no key), run in the temp directory.
    pub fn cmd_no_key(&self) -> Cmd {
        self.bare().arg("--store").arg(&self.store)
    }

    /// `platevault` with neither store nor key, run in the temp directory.
    pub fn bare(&self) -> Cmd {
        pv().cwd(self.tmp.path())
    }

    /// Ingests JSON Lines given as text (on standard input); returns the JSON summary.
    #[track_caller]
    pub fn ingest(&self, lines: &str) -> Value {
        self.cmd()
            .args(["ingest", "-", "--json"])
            .stdin(lines)
            .run()
            .ok()
            .json()
    }

    /// `audit verify --json` (must be ok): (size, root).
    #[track_caller]
    pub fn log_head(&self) -> (u64, String) {
        let v = self
            .cmd_no_key()
            .args(["audit", "verify", "--json"])
            .run()
            .ok()
            .json();
        assert_eq!(v["ok"], true, "{v}");
        (
            v["size"].as_u64().expect("size"),
            v["root"].as_str().expect("root").to_string(),
        )
    }
}

/// Runs the `platevault` binary once with `--store` and `--master-key-file`, extra
/// environment variables, and `args`, in the test's working directory (`PLATEVAULT_STORE`,
/// `PLATEVAULT_MASTER_KEY` and `PLATEVAULT_CRASH_AT` removed unless `env` sets them). The
/// builder for richer runs is [`pv`] / [`Env`].
pub fn cli(store: &Path, key_file: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_platevault"));
    cmd.arg("--store")
        .arg(store)
        .arg("--master-key-file")
        .arg(key_file)
        .args(args)
        .env_remove("PLATEVAULT_MASTER_KEY")
        .env_remove("PLATEVAULT_STORE")
        .env_remove("PLATEVAULT_CRASH_AT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run platevault")
}

/// The one JSON document a `--json` command printed on standard output.
pub fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Asserts a command exited with `code`, showing its output otherwise.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts the `search --json` contract shape and returns the reads.
#[track_caller]
pub fn assert_search_shape(v: &Value) -> Vec<Value> {
    let d = v["decision"].as_str().unwrap_or_else(|| panic!("{v}"));
    assert!(d == "allowed" || d == "denied", "{v}");
    assert!(v["reason"].is_string(), "{v}");
    assert!(v["audit_seq"].is_u64(), "{v}");
    let reads = v["reads"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    for r in &reads {
        assert!(is_hex(r["read_id"].as_str().unwrap_or(""), None), "{r}");
        let at = r["captured_at"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(at.ends_with('Z') && at.contains('T'), "{r}");
        assert!(r["camera"].is_string(), "{r}");
        assert!(r["lat"].is_number() || r["lat"].is_null(), "{r}");
        assert!(r["lon"].is_number() || r["lon"].is_null(), "{r}");
        assert!(
            r["image_sha256"].is_null()
                || is_hex(r["image_sha256"].as_str().unwrap_or(""), Some(32)),
            "{r}"
        );
    }
    reads
}

/// Waits until process `pid` holds the `fcntl` lock on `<store>/platevault.lock`, read from
/// `/proc/locks` (so the test never takes the lock itself and cannot race the child).
#[track_caller]
pub fn wait_for_store_lock(store: &Path, pid: u32) {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(store.join("platevault.lock"))
        .expect("the store's lock file")
        .ino()
        .to_string();
    let pid = pid.to_string();
    let start = Instant::now();
    loop {
        let locks = std::fs::read_to_string("/proc/locks").expect("read /proc/locks");
        let held = locks.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 5
                && f[1] == "POSIX"
                && f[4] == pid
                && f[5].rsplit(':').next() == Some(ino.as_str())
        });
        if held {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "process {pid} never took the store lock (inode {ino})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
