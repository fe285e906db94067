//! Encryption at rest with a customer key (`CreateDatasetGroup.kmsKeyArn`), by envelope
//! encryption:
//!
//! * the operator declares customer keys (an ARN-like name and 32 bytes of key material) in the
//!   server's key configuration; a dataset group created with `kmsKeyArn` must name one;
//! * each such group gets a random 256-bit **data key**, stored only wrapped (AES-256-GCM under
//!   the customer key, bound to the group's ARN) in the group's catalog entry, beside the customer
//!   key's fingerprint;
//! * everything Reko stores for the group is sealed with the data key (AES-256-GCM, a random
//!   96-bit nonce per object): record chunks (bulk imports and PutEvents / PutItems / PutUsers,
//!   bound to their dataset's ARN) and model files (bound to their solution version's ARN);
//! * rotation: a key entry may list previous materials; a data key wrapped under one of them is
//!   re-wrapped under the current material when the server opens the data directory;
//! * a group whose customer key is missing or does not match is unreadable with an error naming
//!   the key; sealed data is authenticated, so it never decodes into garbage.
//!
//! Crypto: `ring`'s AES-256-GCM and system random generator (`ring` is already linked for TLS).

use reko_api::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ServiceError, ServiceResult};
use crate::resource::{update_of, ResourceKind};
use crate::Reko;

/// A customer key of the server's key configuration.
#[derive(Clone)]
pub struct CustomerKey {
    /// The name `kmsKeyArn` refers to, e.g. `arn:aws:kms:us-east-1:123456789012:key/reko-main`.
    pub arn: String,
    /// Current key material.
    pub material: [u8; 32],
    /// Earlier materials of the same key (rotation): data keys wrapped under them still open and
    /// are re-wrapped under `material`.
    pub previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerKey")
            .field("arn", &self.arn)
            .field("material", &"<redacted>")
            .field("previous", &self.previous.len())
            .finish()
    }
}

/// Sealed objects start with this marker (then the nonce, the ciphertext and the tag).
const SEALED_MAGIC: &[u8; 4] = b"RKE2";
/// Objects sealed directly under the data key (before per-object keys); still opened.
const SEALED_MAGIC_V1: &[u8; 4] = b"RKE1";
/// The catalog key of a group's wrapped data key.
const DATA_KEY: &str = "dataKey";

/// A wrapped data key, as stored in the group's bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrappedDataKey {
    kms_key_arn: String,
    /// Which material wrapped it ([`fingerprint`]).
    key_fingerprint: String,
    /// Hex of the sealed data key.
    wrapped: String,
}

/// A short, non-secret identifier of key material (SHA-256 of a label and the material).
fn fingerprint(material: &[u8; 32]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, &[b"reko-customer-key:".as_slice(), material].concat());
    hex::encode(&digest.as_ref()[..8])
}

fn aead_key(material: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, material).expect("32-byte AES-256 key"))
}

/// The object key of one sealed object: HMAC-SHA256 of a fresh random salt under the data key.
/// A data key is never rotated, so random 96-bit nonces under it alone would approach the
/// collision bound after ~2^32 objects; with a key per object a nonce is used once per key.
fn object_key(data_key: &[u8; 32], salt: &[u8; SALT_LEN]) -> [u8; 32] {
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, data_key), salt);
    let mut key = [0u8; 32];
    key.copy_from_slice(tag.as_ref());
    key
}

const SALT_LEN: usize = 32;

/// `SEALED_MAGIC || salt || nonce || ciphertext || tag`, encrypted under the salt's object key
/// and authenticated with `aad`.
pub(crate) fn seal(material: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> ServiceResult<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    let rng = SystemRandom::new();
    rng.fill(&mut salt)
        .and_then(|()| rng.fill(&mut nonce))
        .map_err(|_| ServiceError::Internal("the system random generator failed".into()))?;
    let mut out =
        Vec::with_capacity(SEALED_MAGIC.len() + SALT_LEN + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(SEALED_MAGIC);
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    aead_key(&object_key(material, &salt))
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .map_err(|_| ServiceError::Internal("encryption failed".into()))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens what [`seal`] produced (and objects sealed directly under the data key by earlier
/// versions, `SEALED_MAGIC_V1`); `None` when the data is not sealed, was sealed under another key
/// or for another `aad`, or was altered.
pub(crate) fn open(material: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let (key, rest) = if let Some(rest) = sealed.strip_prefix(SEALED_MAGIC.as_slice()) {
        let (salt, rest) = rest.split_at_checked(SALT_LEN)?;
        (object_key(material, salt.try_into().ok()?), rest)
    } else {
        (*material, sealed.strip_prefix(SEALED_MAGIC_V1.as_slice())?)
    };
    if rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return None;
    }
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = body.to_vec();
    let plain = aead_key(&key).open_in_place(nonce, Aad::from(aad), &mut body).ok()?;
    let n = plain.len();
    body.truncate(n);
    Some(body)
}

/// Seals and opens a resource's stored data with its group's data key, bound to the resource's
/// ARN; data of groups without a customer key passes through unchanged.
pub(crate) struct Sealer {
    key: Option<Arc<[u8; 32]>>,
    resource_arn: String,
}

impl Sealer {
    pub(crate) fn seal(&self, data: Vec<u8>) -> ServiceResult<Vec<u8>> {
        match &self.key {
            Some(key) => seal(key, self.resource_arn.as_bytes(), &data),
            None => Ok(data),
        }
    }

    pub(crate) fn open(&self, data: Vec<u8>) -> ServiceResult<Vec<u8>> {
        match &self.key {
            Some(key) => open(key, self.resource_arn.as_bytes(), &data).ok_or_else(|| {
                ServiceError::Internal(format!(
                    "stored data of {} does not open with its group's data key (altered or foreign data)",
                    self.resource_arn
                ))
            }),
            None => Ok(data),
        }
    }
}

/// The data keys of encrypted groups, unwrapped on first use (`None`: the group is not encrypted).
#[derive(Default)]
pub(crate) struct DataKeys {
    by_group: RwLock<HashMap<String, Option<Arc<[u8; 32]>>>>,
}

impl Reko {
    fn customer_key(&self, kms_key_arn: &str) -> Option<&CustomerKey> {
        self.config().customer_keys.iter().find(|k| k.arn == kms_key_arn)
    }

    /// For CreateDatasetGroup with `kmsKeyArn`: a new data key, wrapped under that customer
    /// key, as the bookkeeping to store with the group.
    pub(crate) fn new_group_data_key(&self, kms_key_arn: &str, group_arn: &str) -> ServiceResult<Value> {
        let key = self.customer_key(kms_key_arn).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Value '{kms_key_arn}' at 'kmsKeyArn' names no key of this server's key configuration (see \
                 docs/security.md)."
            ))
        })?;
        let mut data_key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut data_key)
            .map_err(|_| ServiceError::Internal("the system random generator failed".into()))?;
        let wrapped = WrappedDataKey {
            kms_key_arn: kms_key_arn.to_string(),
            key_fingerprint: fingerprint(&key.material),
            wrapped: hex::encode(seal(&key.material, group_arn.as_bytes(), &data_key)?),
        };
        Ok(serde_json::json!({ DATA_KEY: wrapped }))
    }

    /// Unwraps a group's data key with the configured material it was wrapped under; the
    /// material's index (0 = current) too.
    fn unwrap_data_key(&self, group_arn: &str, wrapped: &WrappedDataKey) -> ServiceResult<([u8; 32], usize)> {
        let unavailable = |why: &str| {
            ServiceError::KeyUnavailable(format!(
                "Dataset group {group_arn} is encrypted with the customer key {}, {why}; its data cannot be read \
                 or written until the key is configured again.",
                wrapped.kms_key_arn
            ))
        };
        let key = self.customer_key(&wrapped.kms_key_arn).ok_or_else(|| unavailable("which is not configured"))?;
        let sealed =
            hex::decode(&wrapped.wrapped).ok().ok_or_else(|| unavailable("but its wrapped data key is damaged"))?;
        let materials = std::iter::once(&key.material).chain(&key.previous);
        for (index, material) in materials.enumerate() {
            if fingerprint(material) != wrapped.key_fingerprint {
                continue;
            }
            let plain = open(material, group_arn.as_bytes(), &sealed)
                .ok_or_else(|| unavailable("whose material does not open the data key"))?;
            let data_key: [u8; 32] =
                plain.try_into().map_err(|_| unavailable("but its wrapped data key has the wrong length"))?;
            return Ok((data_key, index));
        }
        Err(unavailable("whose configured material is not the one the data key was wrapped with"))
    }

    /// The data key of a dataset group; `None` when the group is not encrypted.
    pub(crate) fn group_data_key(&self, group_arn: &str) -> ServiceResult<Option<Arc<[u8; 32]>>> {
        if let Some(k) = self.inner.data_keys.by_group.read().unwrap_or_else(|p| p.into_inner()).get(group_arn) {
            return Ok(k.clone());
        }
        let stored = self.load::<reko_api::DatasetGroup>(ResourceKind::DatasetGroup, group_arn)?;
        let key = match stored.internal.get(DATA_KEY) {
            None => None,
            Some(v) => {
                let wrapped: WrappedDataKey = serde_json::from_value(v.clone())
                    .map_err(|e| ServiceError::Internal(format!("the data key record of {group_arn}: {e}")))?;
                Some(Arc::new(self.unwrap_data_key(group_arn, &wrapped)?.0))
            }
        };
        self.inner.data_keys.by_group.write().unwrap_or_else(|p| p.into_inner()).insert(group_arn.into(), key.clone());
        Ok(key)
    }

    /// Drops a deleted group's cached data key.
    pub(crate) fn forget_data_key(&self, group_arn: &str) {
        self.inner.data_keys.by_group.write().unwrap_or_else(|p| p.into_inner()).remove(group_arn);
    }

    /// What seals and opens the data stored for a resource (a dataset's record chunks, a solution
    /// version's model file) of the group it belongs to.
    pub(crate) fn sealer(&self, resource_arn: &str) -> ServiceResult<Sealer> {
        // A resource that is gone (or has no group) fails: storing its data in the clear because
        // its group's key could not be found would break the group's promise.
        let record = self.store().get_resource(resource_arn)?;
        match record.and_then(|r| r.dataset_group_arn) {
            Some(g) => self.sealer_in_group(&g, resource_arn),
            None => Err(ApiError::ResourceNotFound(format!(
                "Could not find the dataset group of {resource_arn}; its data is neither stored nor read."
            ))
            .into()),
        }
    }

    /// [`Self::sealer`] when the group is already known (no catalog lookup).
    pub(crate) fn sealer_in_group(&self, group_arn: &str, resource_arn: &str) -> ServiceResult<Sealer> {
        Ok(Sealer { key: self.group_data_key(group_arn)?, resource_arn: resource_arn.to_string() })
    }

    /// Key rotation, at open: data keys wrapped under a previous material of their customer key
    /// are re-wrapped under the current one. Groups whose key is unavailable are left as they are
    /// (and reported).
    pub(crate) fn rewrap_data_keys(&self) -> ServiceResult<()> {
        for record in self.store().list_resources(ResourceKind::DatasetGroup.as_str(), None)? {
            let stored = self.load::<reko_api::DatasetGroup>(ResourceKind::DatasetGroup, &record.arn)?;
            let Some(v) = stored.internal.get(DATA_KEY) else { continue };
            let Ok(wrapped) = serde_json::from_value::<WrappedDataKey>(v.clone()) else { continue };
            match self.unwrap_data_key(&record.arn, &wrapped) {
                Ok((_, 0)) => {}
                Ok((data_key, _)) => {
                    let Some(key) = self.customer_key(&wrapped.kms_key_arn) else { continue };
                    let rewrapped = WrappedDataKey {
                        kms_key_arn: wrapped.kms_key_arn.clone(),
                        key_fingerprint: fingerprint(&key.material),
                        wrapped: hex::encode(seal(&key.material, record.arn.as_bytes(), &data_key)?),
                    };
                    let mut current = stored;
                    if let Some(internal) = current.internal.as_object_mut() {
                        internal.insert(DATA_KEY.into(), serde_json::to_value(&rewrapped).unwrap_or_default());
                    }
                    let update = update_of(&current, &current.record.status)?;
                    self.store().update_resource(&update)?;
                    tracing::info!(dataset_group = %record.arn, kms_key = %wrapped.kms_key_arn,
                        "re-wrapped the data key under the current key material");
                }
                Err(e) => tracing::warn!(dataset_group = %record.arn, "{e}"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_binding() {
        let (k1, k2) = ([7u8; 32], [8u8; 32]);
        let sealed = seal(&k1, b"arn:a", b"user-42,item-7").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"user-42"));
        assert_eq!(open(&k1, b"arn:a", &sealed).as_deref(), Some(b"user-42,item-7".as_slice()));
        assert_eq!(open(&k2, b"arn:a", &sealed), None, "another key");
        assert_eq!(open(&k1, b"arn:b", &sealed), None, "another resource");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&k1, b"arn:a", &altered), None, "altered");
        assert_eq!(open(&k1, b"arn:a", b"plain text"), None, "not sealed");
        assert_ne!(seal(&k1, b"arn:a", b"x").unwrap(), seal(&k1, b"arn:a", b"x").unwrap(), "fresh nonces");
        // Each object has its own key: the same nonce under two salts gives unrelated streams.
        let salt = |b: u8| [b; SALT_LEN];
        assert_ne!(object_key(&k1, &salt(1)), object_key(&k1, &salt(2)));
        assert_ne!(object_key(&k1, &salt(1)), k1);
    }

    #[test]
    fn objects_sealed_under_the_data_key_itself_still_open() {
        let key = [5u8; 32];
        let nonce = [3u8; NONCE_LEN];
        let mut body = b"user-1,item-2".to_vec();
        aead_key(&key)
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(b"arn:a"), &mut body)
            .unwrap();
        let v1 = [SEALED_MAGIC_V1.as_slice(), &nonce, &body].concat();
        assert_eq!(open(&key, b"arn:a", &v1).as_deref(), Some(b"user-1,item-2".as_slice()));
        assert_eq!(open(&[6u8; 32], b"arn:a", &v1), None);
    }

    #[test]
    fn data_of_a_resource_without_a_group_is_refused_not_stored_in_the_clear() {
        let dir = tempfile::tempdir().unwrap();
        let reko =
            Reko::open(crate::ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() })
                .unwrap();
        let missing = "arn:aws:personalize:us-east-1:123456789012:dataset/gone/INTERACTIONS";
        assert!(matches!(reko.sealer(missing), Err(ServiceError::Api(ApiError::ResourceNotFound(_)))));
        reko.shutdown();
    }

    #[test]
    fn fingerprints_identify_material_without_revealing_it() {
        assert_eq!(fingerprint(&[1u8; 32]), fingerprint(&[1u8; 32]));
        assert_ne!(fingerprint(&[1u8; 32]), fingerprint(&[2u8; 32]));
        assert_eq!(fingerprint(&[1u8; 32]).len(), 16);
        assert!(
            format!("{:?}", CustomerKey { arn: "k".into(), material: [9; 32], previous: vec![] }).contains("redacted")
        );
    }
}
