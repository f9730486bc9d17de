//! [`OrderKey::from_external_id`]: an order key derived from an id of your own system (a
//! shipment number, an event id), so a redelivered event finds the order its first delivery
//! placed.
//!
//! ```
//! use carbonext_domain::OrderKey;
//!
//! let key = OrderKey::from_external_id("shipment", "SHP_000123").unwrap();
//! assert_eq!(key.as_str(), "shipment_SHP_000123");
//! let hashed = OrderKey::from_external_id("shipment", "SHP-000123").unwrap();
//! assert!(hashed.as_str().starts_with("shipment__SHP_000123_"));
//! ```

use sha2::{Digest, Sha256};

use super::OrderKey;
use crate::validation::ValidationError;

/// Longest namespace, in characters.
const NAMESPACE_MAX: usize = 16;
/// Shortest and longest order key.
const KEY_MIN: usize = 8;
const KEY_MAX: usize = 64;
/// Bytes of SHA-256 kept in a hashed key (128 bits, 32 hex digits).
const HASH_BYTES: usize = 16;
/// Separates the hash input's parts; versioned so a future scheme cannot meet this one.
const HASH_DOMAIN: &[u8] = b"carbonext-order-key-v1\0";

impl OrderKey {
    /// The order key of `id` (any non-empty text) in `namespace` (1 to 16 characters of
    /// `a-z 0-9`, refused otherwise): the same pair always gives the same key, and distinct
    /// pairs give distinct keys.
    ///
    /// - **Readable**: an id of `A-Z a-z 0-9 _` that neither starts with `_` nor holds `__`,
    ///   and fits the key's 8 to 64 characters, is kept as it is: `shipment_SHP_1`.
    /// - **Hashed**: any other id (`SHP-1`, `remessa/2026`, `entrega-ção`, a 200-character id)
    ///   becomes `<namespace>__<readable prefix>_<hash>`, where the prefix is the id's ASCII
    ///   letters and digits (others as `_`, cut to fit) and the hash is the first 128 bits
    ///   of SHA-256 over the namespace and the whole id, in 32 hex digits.
    ///
    /// Why distinct pairs never meet: the namespace holds no `_`, so the text before the
    /// first `_` is the namespace; a readable key never holds `__` while a hashed key has it
    /// right after the namespace, so the two forms are told apart; a readable key is its id
    /// verbatim. Two hashed keys of one namespace meet only if 128-bit SHA-256 truncations
    /// collide: by the birthday bound, among `n` ids that happens with probability about
    /// `n² / 2¹²⁹` — below 10⁻¹⁴ for a trillion (10¹²) ids, not a practical concern.
    ///
    /// Keys are compared exactly (case included), so `SHP_1` and `shp_1` are distinct keys.
    pub fn from_external_id(namespace: &str, id: &str) -> Result<OrderKey, ValidationError> {
        let namespace_ok = (1..=NAMESPACE_MAX).contains(&namespace.len())
            && namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !namespace_ok {
            return Err(ValidationError::InvalidKeyNamespace {
                namespace: namespace.chars().take(40).collect(),
            });
        }
        if id.is_empty() {
            return Err(ValidationError::Empty {
                what: "external id",
            });
        }
        let readable = format!("{namespace}_{id}");
        if is_readable(id) && (KEY_MIN..=KEY_MAX).contains(&readable.len()) {
            return OrderKey::new(readable);
        }
        let hash = hex(&digest(namespace, id));
        let budget = KEY_MAX - namespace.len() - "__".len() - "_".len() - hash.len();
        let prefix = readable_prefix(id, budget);
        OrderKey::new(format!("{namespace}__{prefix}_{hash}"))
    }
}

/// Whether `id` can stand in a key as it is without looking like the hashed form.
fn is_readable(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !id.starts_with('_')
        && !id.contains("__")
}

/// The first 128 bits of SHA-256 over the namespace and the id, each part delimited.
fn digest(namespace: &str, id: &str) -> [u8; HASH_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(HASH_DOMAIN);
    hasher.update(namespace.as_bytes());
    hasher.update([0]);
    hasher.update(id.as_bytes());
    let full = hasher.finalize();
    let mut kept = [0; HASH_BYTES];
    kept.copy_from_slice(&full[..HASH_BYTES]);
    kept
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

/// The id's ASCII letters and digits, anything else as one `_`, at most `budget` characters
/// and never starting or ending with `_` (decoration only: the hash carries the identity).
fn readable_prefix(id: &str, budget: usize) -> String {
    let mut prefix = String::with_capacity(budget);
    for c in id.chars() {
        if prefix.len() == budget {
            break;
        }
        if c.is_ascii_alphanumeric() {
            prefix.push(c);
        } else if !prefix.is_empty() && !prefix.ends_with('_') {
            prefix.push('_');
        }
    }
    prefix.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn key(namespace: &str, id: &str) -> String {
        OrderKey::from_external_id(namespace, id)
            .unwrap_or_else(|e| panic!("{namespace}/{id:?}: {e}"))
            .to_string()
    }

    /// Every id over an alphabet chosen to provoke collisions (case, `_` against `-`, space,
    /// non-ASCII) up to `len` characters, and long ones around the key's limits.
    fn awkward_ids() -> Vec<String> {
        let alphabet = ["A", "a", "1", "_", "-", " ", "é", "☃"];
        let mut ids: Vec<String> = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..4 {
            ids = ids
                .iter()
                .flat_map(|id| alphabet.iter().map(move |c| format!("{id}{c}")))
                .collect();
            all.extend(ids.iter().cloned());
        }
        let mut rng = StdRng::seed_from_u64(26);
        for len in [7, 8, 40, 55, 56, 57, 62, 63, 64, 65, 200] {
            for _ in 0..50 {
                let id: String = (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect();
                all.push(id.clone());
                all.push(id.replace(['-', ' ', 'é', '☃'], "x"));
            }
        }
        all.extend(
            [
                "SHP-1", "SHP_1", "shp-1", "SHP 1", "SHP__1", "_SHP_1", "SHP_1_",
            ]
            .map(String::from),
        );
        all.sort();
        all.dedup();
        all
    }

    #[test]
    fn distinct_namespace_and_id_pairs_never_give_the_same_key() {
        let ids = awkward_ids();
        let mut seen: HashMap<String, (&str, &str)> = HashMap::new();
        for namespace in ["a", "shipment", "shipment1", "s", "x0123456789abcde"] {
            for id in &ids {
                let key = key(namespace, id);
                assert!(
                    OrderKey::new(key.clone()).is_ok(),
                    "{key} is not a valid key"
                );
                if let Some(earlier) = seen.insert(key.clone(), (namespace, id)) {
                    panic!("{earlier:?} and {:?} both give {key}", (namespace, id));
                }
            }
        }
        assert!(seen.len() > 5 * 4_000, "{} keys checked", seen.len());
    }

    #[test]
    fn the_same_pair_always_gives_the_same_key() {
        for id in awkward_ids().iter().step_by(7) {
            assert_eq!(key("shipment", id), key("shipment", id));
        }
        // Pinned: a change of scheme would orphan every order already placed under a key.
        assert_eq!(key("shipment", "SHP_1"), "shipment_SHP_1");
        assert_eq!(
            key("shipment", "SHP-1"),
            format!("shipment__SHP_1_{}", hex(&digest("shipment", "SHP-1")))
        );
    }

    #[test]
    fn fitting_ids_stay_readable_and_others_are_told_apart_by_the_double_underscore() {
        assert_eq!(key("ev", "order_2026_03"), "ev_order_2026_03");
        assert_eq!(key("ev", "SHP_1"), "ev_SHP_1");
        for id in [
            "SHP-1",
            "x",
            "SHP__1",
            "_SHP",
            "entrega-ção-☃",
            &"9".repeat(70),
        ] {
            let hashed = key("ev", id);
            assert!(hashed.starts_with("ev__"), "{hashed}");
        }
        assert!(!key("ev", "a_b_c_d_e").contains("__"));
    }

    #[test]
    fn bad_namespaces_and_empty_ids_are_refused() {
        for namespace in [
            "",
            "Shipment",
            "ship_ment",
            "ship-ment",
            "ação",
            "abcdefghijklmnopq",
        ] {
            assert!(
                matches!(
                    OrderKey::from_external_id(namespace, "SHP_000001"),
                    Err(ValidationError::InvalidKeyNamespace { .. })
                ),
                "{namespace:?} accepted"
            );
        }
        assert!(matches!(
            OrderKey::from_external_id("shipment", ""),
            Err(ValidationError::Empty { .. })
        ));
    }
}
