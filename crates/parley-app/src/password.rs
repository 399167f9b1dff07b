//! Password hashing (Argon2id with OWASP's parameters: m = 19 MiB, t = 2, p = 1,
//! the `argon2` crate's defaults) and secret tokens.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{AppError, Result};

/// Argon2 runs on a few threads of its own, one computation each at a time:
/// each takes 19 MiB and a core for its whole run, so a crowd of sign-in
/// attempts (no account needed) must queue, not run side by side (100 at once
/// took the server from 110 MB to 1.67 GB). Dedicated threads rather than the
/// blocking pool: the allocator keeps a thread's freed 19 MiB for its next
/// hash, and a pool of many threads would keep as many copies.
/// Process-wide, not per server: the memory and the cores are the process's,
/// whatever number of servers it runs (tests run several).
struct Workers {
    /// One permit per thread: a job is sent only with a permit, so the queue
    /// never holds more jobs than there are threads to take them.
    permits: Semaphore,
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

fn workers() -> Result<&'static Workers> {
    static WORKERS: OnceLock<Option<Workers>> = OnceLock::new();
    WORKERS.get_or_init(start_workers).as_ref().ok_or_else(|| AppError::Internal("no password threads".into()))
}

fn start_workers() -> Option<Workers> {
    let wanted = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let mut started = 0;
    for i in 0..wanted {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
            loop {
                // The lock is held only to take a job; a poisoned one still holds the receiver.
                let job = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        match spawned {
            Ok(_) => started += 1,
            Err(e) => tracing::error!(error = %e, "cannot start a password thread"),
        }
    }
    (started > 0).then(|| Workers { permits: Semaphore::new(started), jobs: std::sync::Mutex::new(tx) })
}

/// Runs one Argon2 computation on a password thread once one is free. The
/// permit goes with the job: if the request is dropped meanwhile, it stays
/// taken until the computation ends.
async fn bounded<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let workers = workers()?;
    let permit = workers.permits.acquire().await.map_err(|e| AppError::Internal(format!("password threads: {e}")))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let out = job();
        drop(permit);
        // The request may have gone: nobody to tell.
        let _ = tx.send(out);
    });
    workers
        .jobs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .send(job)
        .map_err(|_| AppError::Internal("password threads stopped".into()))?;
    rx.await.map_err(|_| AppError::Internal("a password computation failed".into()))
}

/// Hashes off the async threads: Argon2 is deliberately slow.
pub async fn hash(password: String) -> Result<String> {
    bounded(move || hash_blocking(&password)).await?
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the stored hash. A stored value that is not an
/// Argon2 hash matches nothing (accounts made without a password store one).
pub async fn verify(password: String, stored: String) -> Result<bool> {
    bounded(move || verify_blocking(&password, &stored)).await
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a hash of a random password with the current parameters
/// when the account does not exist, so an unknown login takes as long (and
/// uses as much memory) as a wrong password, and logins cannot be enumerated.
pub async fn burn_time(password: String) -> Result<()> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let dummy = DUMMY.get_or_try_init(|| hash(random_secret())).await?.clone();
    verify(password, dummy).await?;
    Ok(())
}

/// A random URL-safe secret of 32 bytes (tokens, codes, client secrets).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Secrets are stored as SHA-256: they are random, so no salt or stretching is needed.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    hex::encode(digest)
}

/// PKCE S256: BASE64URL(SHA256(verifier)) == challenge.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_the_rfc_7636_example() {
        assert!(pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches("wrong", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let h = hash("correct horse".into()).await.unwrap_or_default();
        assert!(verify("correct horse".into(), h.clone()).await.unwrap_or(false));
        assert!(!verify("wrong".into(), h).await.unwrap_or(true));
    }

    #[tokio::test]
    async fn an_unknown_login_costs_a_full_verification() {
        // The dummy is a real hash with today's parameters (not a constant
        // that might fail to parse and return at once).
        burn_time("warm up".into()).await.unwrap_or_else(|e| panic!("{e}"));
        let h = hash("correct horse".into()).await.unwrap_or_default();
        let start = std::time::Instant::now();
        assert!(!verify("wrong".into(), h).await.unwrap_or(true));
        let wrong_password = start.elapsed();
        let start = std::time::Instant::now();
        burn_time("wrong".into()).await.unwrap_or_else(|e| panic!("{e}"));
        let unknown_login = start.elapsed();
        // Loose, as the machine may be busy: a skipped verification takes microseconds.
        assert!(
            unknown_login * 3 > wrong_password,
            "unknown login {unknown_login:?}, wrong password {wrong_password:?}"
        );
    }
}
