//! What every command shares: exit codes, errors, output, and opening the store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use platevault::{Error, MasterKey, Timestamp, Vault, VaultOptions};

/// The exit codes of the CLI contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok,
    Internal,
    Usage,
    Denied,
    AuditFailed,
    DeletionTrace,
    Damaged,
    Locked,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Internal => 1,
            Exit::Usage => 2,
            Exit::Denied => 3,
            Exit::AuditFailed => 4,
            Exit::DeletionTrace => 5,
            Exit::Damaged => 6,
            Exit::Locked => 7,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub(crate) struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Internal,
            message: message.into(),
        }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let exit = match &e {
            Error::WrongMasterKey
            | Error::KeyRotatedOut
            | Error::StoreNotFound { .. }
            | Error::Damaged(_) => Exit::Damaged,
            Error::StoreLocked { .. } => Exit::Locked,
            // init on an existing store, like keygen --out on an existing file: the path
            // given is unusable for what was asked.
            Error::ClockNotSimulated
            | Error::InvalidArgument(_)
            | Error::Policy(_)
            | Error::StoreExists { .. } => Exit::Usage,
            Error::Key(platevault::KeyError::Unwrap { .. }) => Exit::Damaged,
            Error::Key(_) => Exit::Usage,
            _ => Exit::Internal,
        };
        // The library's messages name no command; the CLI adds what to type.
        let hint = match &e {
            Error::StoreNotFound { .. } => " (`platevault init` creates one)",
            Error::StoreExists { .. } => " (`init` never overwrites)",
            Error::ClockNotSimulated => " (`--now` needs a store made by `init --now`)",
            Error::KeyRotatedOut => " (the key given to `rotate-master-key --new-key-file`)",
            _ => "",
        };
        CliError {
            exit,
            message: format!("{e}{hint}"),
        }
    }
}

/// The global options, parsed, and the vault the command opened (for the after-command
/// rotation of a key file).
#[derive(Debug)]
pub(crate) struct Global {
    pub store: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    pub now: Option<Timestamp>,
    opened: std::cell::RefCell<Option<Vault>>,
}

impl Global {
    pub(crate) fn new(
        store: Option<PathBuf>,
        master_key_file: Option<PathBuf>,
        now: Option<Timestamp>,
    ) -> Self {
        Global {
            store,
            master_key_file,
            now,
            opened: std::cell::RefCell::new(None),
        }
    }

    /// The key file a rotation prepares before committing (`<key file>.next`).
    fn next_key_file(&self) -> Option<PathBuf> {
        self.master_key_file.as_ref().map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push(".next");
            PathBuf::from(name)
        })
    }

    /// Runs after a successful command: with a key file and a policy that asks for it, a
    /// command that expired an epoch also rotates the master key, writing the new key to
    /// the key file (the old one is replaced: destroy its other copies).
    pub(crate) fn after_command(&self) -> Result<(), CliError> {
        let Some(vault) = self.opened.borrow_mut().take() else {
            return Ok(());
        };
        let (Some(file), Some(next)) = (&self.master_key_file, self.next_key_file()) else {
            return Ok(());
        };
        if !vault.policy().rotate_master_key_on_expiry() || vault.epochs_expired_since_open() == 0 {
            return Ok(());
        }
        let new_key = MasterKey::generate().map_err(|e| CliError::internal(e.to_string()))?;
        let _ = std::fs::remove_file(&next);
        new_key
            .write_new_file(&next)
            .map_err(|e| CliError::internal(e.to_string()))?;
        vault.rotate_master_key(&new_key)?;
        std::fs::rename(&next, file).map_err(|e| {
            CliError::internal(format!(
                "rotated, but could not move {} over {}: {e}; the new key is in {}",
                next.display(),
                file.display(),
                next.display()
            ))
        })?;
        eprintln!(
            "policy rotate_master_key_on_expiry: the master key in {} was replaced by a new one",
            file.display()
        );
        Ok(())
    }
    /// The store directory, or a usage error saying how to give it.
    pub(crate) fn store_dir(&self) -> Result<PathBuf, CliError> {
        self.store.clone().ok_or_else(|| {
            CliError::usage("no store given: pass --store DIR or set PLATEVAULT_STORE")
        })
    }

    /// The master key from --master-key-file or PLATEVAULT_MASTER_KEY.
    pub(crate) fn master_key(&self) -> Result<MasterKey, CliError> {
        if let Some(path) = &self.master_key_file {
            return MasterKey::from_file(path).map_err(|e| CliError::usage(e.to_string()));
        }
        match std::env::var("PLATEVAULT_MASTER_KEY") {
            Ok(text) => MasterKey::from_hex(&text)
                .map_err(|e| CliError::usage(format!("PLATEVAULT_MASTER_KEY: {e}"))),
            Err(_) => Err(CliError::usage(
                "no master key given: pass --master-key-file FILE (preferred) or set PLATEVAULT_MASTER_KEY",
            )),
        }
    }

    /// Opens the store for writing and applies `--now`. A key file whose rotation was
    /// committed but not yet moved into place is picked up from `<key file>.next`.
    pub(crate) fn open_vault(&self) -> Result<Vault, CliError> {
        let dir = self.store_dir()?;
        let key = self.master_key()?;
        if self.now.is_some() {
            // Refused before the store is even opened (opening may run expiry), and decided
            // only by a header the key has verified: a header edited to `simulated` is
            // damage (exit 6), never a licence for --now.
            let simulated = match Vault::is_simulation_store(&dir, &key) {
                Err(Error::KeyRotatedOut | Error::WrongMasterKey)
                    if self.next_key_file().is_some_and(|n| n.exists()) =>
                {
                    let next = self.next_key_file().unwrap_or_default();
                    let next_key =
                        MasterKey::from_file(&next).map_err(|e| CliError::usage(e.to_string()))?;
                    Vault::is_simulation_store(&dir, &next_key)?
                }
                other => other?,
            };
            if !simulated {
                return Err(Error::ClockNotSimulated.into());
            }
        }
        let vault = match Vault::open(&dir, &key, &VaultOptions::new()) {
            Ok(v) => v,
            Err(Error::KeyRotatedOut | Error::WrongMasterKey)
                if self.next_key_file().is_some_and(|n| n.exists()) =>
            {
                let (Some(file), Some(next)) = (&self.master_key_file, self.next_key_file()) else {
                    return Err(CliError::internal("no key file"));
                };
                let next_key =
                    MasterKey::from_file(&next).map_err(|e| CliError::usage(e.to_string()))?;
                let v = Vault::open(&dir, &next_key, &VaultOptions::new())?;
                std::fs::rename(&next, file).map_err(|e| {
                    CliError::internal(format!(
                        "cannot move {} over {}: {e}",
                        next.display(),
                        file.display()
                    ))
                })?;
                v
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(now) = self.now {
            vault.advance_clock(now)?;
        }
        *self.opened.borrow_mut() = Some(vault.clone());
        Ok(vault)
    }
}

/// Where results go: one JSON document on stdout with `--json`, text otherwise.
pub(crate) struct Output {
    json: bool,
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Output { json }
    }

    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a result: `value` as JSON, or `text` for people.
    pub(crate) fn result(&self, value: &serde_json::Value, text: &str) {
        if self.json {
            print_json(value);
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
        }
    }

    /// Reports a failure.
    pub(crate) fn error(&self, err: &CliError) {
        if self.json {
            print_json(&serde_json::json!({
                "error": err.message,
                "exit_code": err.exit.code(),
            }));
        } else {
            eprintln!("error: {}", err.message);
        }
    }
}

/// Prints one JSON document on a line of standard output.
pub(crate) fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
}

/// Logs go to standard error, filtered by `PLATEVAULT_LOG` (default `warn`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLATEVAULT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Keeps key material out of core dumps for the life of the process.
pub(crate) fn disable_core_dumps() {
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}
