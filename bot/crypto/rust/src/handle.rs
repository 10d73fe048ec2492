//! The handle's state: a current-thread tokio runtime and the OlmMachine over its SQLite store.
//! Owns the store directory's permissions (0700 directory, 0600 files).

use std::fs;
use std::future::Future;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use matrix_sdk_common::ruma::{OwnedDeviceId, UserId};
use matrix_sdk_crypto::OlmMachine;
use matrix_sdk_sqlite::SqliteCryptoStore;
use tokio::runtime::{Builder, Runtime};

pub struct Crypto {
    runtime: Runtime,
    machine: Option<OlmMachine>,
    store_dir: PathBuf,
}

fn make_private_dir(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create the store directory: {e}"))
}

/// SQLite creates its files with the process umask; the keys in them are for this user only.
fn restrict_files(dir: &Path) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list the store directory: {e}"))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict a store file: {e}"))?;
        }
    }
    Ok(())
}

fn passphrase_text(passphrase: &[u8]) -> Result<Option<&str>, String> {
    if passphrase.is_empty() {
        return Ok(None);
    }
    // The store derives its key from a string; non-UTF-8 bytes would need an encoding the C++
    // side would have to repeat, so they are refused instead.
    std::str::from_utf8(passphrase)
        .map(Some)
        .map_err(|_| "passphrase is not valid UTF-8".to_string())
}

impl Crypto {
    pub fn open(
        user_id: &str,
        device_id: &str,
        store_dir: &Path,
        passphrase: &[u8],
    ) -> Result<Self, String> {
        let user_id = UserId::parse(user_id).map_err(|e| format!("invalid user id: {e}"))?;
        if device_id.is_empty() {
            return Err("device id is empty".into());
        }
        let device_id = OwnedDeviceId::from(device_id);
        let passphrase = passphrase_text(passphrase)?;
        make_private_dir(store_dir)?;
        let runtime = Builder::new_current_thread()
            .enable_all()
            .thread_name(crate::quiet::RUNTIME_THREAD_NAME)
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))?;
        let machine = runtime.block_on(async {
            let store = SqliteCryptoStore::open(store_dir, passphrase)
                .await
                .map_err(|e| format!("cannot open the crypto store: {e}"))?;
            OlmMachine::with_store(&user_id, &device_id, store, None)
                .await
                .map_err(|e| format!("cannot load the crypto account: {e}"))
        })?;
        restrict_files(store_dir)?;
        Ok(Crypto {
            runtime,
            machine: Some(machine),
            store_dir: store_dir.to_owned(),
        })
    }

    pub fn machine(&self) -> &OlmMachine {
        // Only `close` takes the machine, and it consumes the handle.
        self.machine.as_ref().expect("machine present until close")
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Files SQLite added since open (journal, WAL) get the same restriction.
    pub fn restrict_files(&self) -> Result<(), String> {
        restrict_files(&self.store_dir)
    }

    /// Drops the machine inside the runtime: its store's connection pool may need it.
    pub fn close(mut self) {
        let machine = self.machine.take();
        self.runtime.block_on(async move { drop(machine) });
    }
}
