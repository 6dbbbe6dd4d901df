//! Personal-data vault: one AES-256-GCM data key per person (data subject), stored in Postgres
//! wrapped by the master key. Destroying a subject's key erases every sealed copy of their data
//! (event store, Kafka, backups) at once: crypto-shredding.

use aes_gcm::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hireledger_domain::{EmailAddress, Sealed};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the master key must be 64 hex characters")]
    BadMasterKey,
    #[error("the subject's personal data was erased")]
    Erased,
    #[error("sealed value is corrupt")]
    Corrupt,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Seals and opens personal values. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    pool: PgPool,
    master: Aes256Gcm,
    digest_key: [u8; 32],
    /// Encrypts secrets at rest that belong to no data subject (see [`Vault::encrypt_at_rest`]).
    at_rest: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault")
    }
}

fn encrypt(cipher: &Aes256Gcm, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .map_err(|_| VaultError::Corrupt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn decrypt(cipher: &Aes256Gcm, data: &[u8]) -> Result<Vec<u8>, VaultError> {
    if data.len() < NONCE_LEN {
        return Err(VaultError::Corrupt);
    }
    let (nonce, ct) = data.split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), ct)
        .map_err(|_| VaultError::Corrupt)
}

impl Vault {
    pub fn new(pool: PgPool, master_key_hex: &SecretString) -> Result<Self, VaultError> {
        let bytes = hex::decode(master_key_hex.expose_secret().trim())
            .map_err(|_| VaultError::BadMasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadMasterKey)?;
        // The digest key is derived from the master key, so one secret configures the vault.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| VaultError::BadMasterKey)?;
        mac.update(b"hireledger/email-digest/v1");
        let digest_key: [u8; 32] = mac.finalize().into_bytes().into();
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| VaultError::BadMasterKey)?;
        mac.update(b"hireledger/at-rest/v1");
        let at_rest_key: [u8; 32] = mac.finalize().into_bytes().into();
        Ok(Self {
            pool,
            master: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            digest_key,
            at_rest: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&at_rest_key)),
        })
    }

    /// Keyed digest of a normalized e-mail: lookups and uniqueness without storing the address.
    pub fn email_digest(&self, email: &EmailAddress) -> Vec<u8> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_key) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes any key length"),
        };
        mac.update(email.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    async fn subject_cipher(&self, subject: Uuid, create: bool) -> Result<Aes256Gcm, VaultError> {
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped_key FROM vault.subject_keys WHERE subject_id = $1")
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
        let wrapped = match wrapped {
            Some(w) => w,
            None if create => self.create_key(subject).await?,
            None => return Err(VaultError::Erased),
        };
        let key = decrypt(&self.master, &wrapped)?;
        Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::Corrupt)
    }

    async fn create_key(&self, subject: Uuid) -> Result<Vec<u8>, VaultError> {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        let wrapped = encrypt(&self.master, &key)?;
        // Refuse to create a key for an erased subject; a concurrent creator wins the race.
        let inserted: Option<Vec<u8>> = sqlx::query_scalar(
            "INSERT INTO vault.subject_keys (subject_id, wrapped_key)
             SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM vault.erased_subjects WHERE subject_id = $1)
             ON CONFLICT (subject_id) DO NOTHING RETURNING wrapped_key",
        )
        .bind(subject)
        .bind(&wrapped)
        .fetch_optional(&self.pool)
        .await?;
        match inserted {
            Some(w) => Ok(w),
            None => sqlx::query_scalar(
                "SELECT wrapped_key FROM vault.subject_keys WHERE subject_id = $1",
            )
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(VaultError::Erased),
        }
    }

    /// Encrypts `plaintext` with the subject's key, creating the key on first use.
    pub async fn seal(&self, subject: Uuid, plaintext: &str) -> Result<Sealed, VaultError> {
        let cipher = self.subject_cipher(subject, true).await?;
        let ct = encrypt(&cipher, plaintext.as_bytes())?;
        Ok(Sealed {
            subject,
            ct: B64.encode(ct),
        })
    }

    /// Decrypts a sealed value; `Ok(None)` when the subject was erased.
    pub async fn open(&self, sealed: &Sealed) -> Result<Option<String>, VaultError> {
        let cipher = match self.subject_cipher(sealed.subject, false).await {
            Ok(c) => c,
            Err(VaultError::Erased) => return Ok(None),
            Err(e) => return Err(e),
        };
        let data = B64.decode(&sealed.ct).map_err(|_| VaultError::Corrupt)?;
        let clear = decrypt(&cipher, &data)?;
        String::from_utf8(clear)
            .map(Some)
            .map_err(|_| VaultError::Corrupt)
    }

    /// Encrypts a secret kept at rest that belongs to no data subject, such as a stored command
    /// answer carrying a one-time password or an interview access token. The key is derived from
    /// the master key; nothing is looked up. `nonce || ciphertext || tag`.
    pub fn encrypt_at_rest(&self, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        encrypt(&self.at_rest, plaintext)
    }

    /// Reverses [`Vault::encrypt_at_rest`]; [`VaultError::Corrupt`] for anything else.
    pub fn decrypt_at_rest(&self, data: &[u8]) -> Result<Vec<u8>, VaultError> {
        decrypt(&self.at_rest, data)
    }

    /// Destroys the subject's key for good. Idempotent.
    pub async fn erase(&self, subject: Uuid) -> Result<(), VaultError> {
        let mut tx = self.pool.begin().await?;
        Self::erase_in(&mut tx, subject).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Vault::erase`] inside the caller's transaction (so the key goes with whatever else the
    /// caller commits, such as the end of an erasure job).
    pub async fn erase_in(conn: &mut sqlx::PgConnection, subject: Uuid) -> Result<(), VaultError> {
        sqlx::query(
            "INSERT INTO vault.erased_subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(subject)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM vault.subject_keys WHERE subject_id = $1")
            .bind(subject)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
