//! How values are laid out on disk: one format-version byte, then bincode 2 (serde).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value format this build writes. Bump it when a stored type changes shape.
pub const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    #[error("empty value")]
    Empty,
    #[error("value format {found} is newer than this build reads ({FORMAT_VERSION})")]
    NewerFormat { found: u8 },
    #[error("value format {found} is unknown")]
    UnknownFormat { found: u8 },
    #[error("undecodable value: {0}")]
    Malformed(String),
}

/// The most memory a decoded value may claim (the largest imported row is capped at 16 MiB).
const MAX_DECODED_BYTES: usize = 64 << 20;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a value with its format byte in front.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    // Encoding into a Vec only fails for types serde cannot describe, which is a bug.
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .expect("stored types are always encodable");
    out
}

/// [`encode`] into a buffer of `capacity` bytes to start with, for values of a known size.
pub fn encode_with_capacity<T: Serialize>(value: &T, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity.max(1));
    out.push(FORMAT_VERSION);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .expect("stored types are always encodable");
    out
}

/// Decodes a value written by [`encode`], refusing newer formats and trailing garbage.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match version {
        FORMAT_VERSION => {}
        v if v > FORMAT_VERSION => return Err(CodecError::NewerFormat { found: v }),
        v => return Err(CodecError::UnknownFormat { found: v }),
    }
    // A damaged length prefix must not make bincode reserve terabytes (an abort, not an
    // error): no stored value is near this size, and a claim beyond it is refused.
    let limited = config().with_limit::<MAX_DECODED_BYTES>();
    let (value, used) = bincode::serde::decode_from_slice(body, limited)
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    if used != body.len() {
        return Err(CodecError::Malformed(format!(
            "{} trailing bytes after the value",
            body.len() - used
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Activity, ActivityKind, AttrValue, Lead, NextAction, Signal};
    use proptest::prelude::*;

    fn lead_strategy() -> impl Strategy<Value = Lead> {
        (
            any::<u64>(),
            ".{0,40}",
            ".{0,40}",
            proptest::option::of(any::<u32>()),
            proptest::option::of(-1e12f64..1e12),
            any::<i64>(),
            proptest::collection::btree_map(
                "[a-zA-Z ]{1,12}",
                prop_oneof![
                    ".{0,20}".prop_map(AttrValue::Text),
                    (-1e9f64..1e9).prop_map(AttrValue::Number),
                    any::<bool>().prop_map(AttrValue::Bool),
                    any::<i64>().prop_map(AttrValue::Date),
                ],
                0..6,
            ),
            proptest::option::of((any::<i64>(), ".{0,20}")),
        )
            .prop_map(
                |(id, name, email, employees, deal_value, created, attrs, next)| Lead {
                    id,
                    name,
                    email,
                    employees,
                    deal_value,
                    created,
                    attrs: attrs.into_iter().collect(),
                    next_action: next.map(|(due, note)| NextAction { due, note }),
                    stage: "New".into(),
                    ..Lead::default()
                },
            )
    }

    proptest! {
        #[test]
        fn leads_round_trip(lead in lead_strategy()) {
            let bytes = encode(&lead);
            prop_assert_eq!(bytes[0], FORMAT_VERSION);
            prop_assert_eq!(decode::<Lead>(&bytes).unwrap(), lead);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode::<Lead>(&bytes);
            let _ = decode::<Activity>(&bytes);
        }
    }

    #[test]
    fn activities_round_trip() {
        let a = Activity {
            lead: 9,
            at: 1_700_000_000,
            kind: ActivityKind::StageChange {
                from: "New".into(),
                to: "Won".into(),
            },
            detail: "moved".into(),
        };
        assert_eq!(decode::<Activity>(&encode(&a)).unwrap(), a);
        let s = Activity {
            kind: ActivityKind::Signal(Signal::WebVisit),
            ..a
        };
        assert_eq!(decode::<Activity>(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn refuses_newer_unknown_truncated_and_padded_values() {
        let mut bytes = encode(&Lead::default());
        assert_eq!(decode::<Lead>(&[]), Err(CodecError::Empty));
        let mut newer = bytes.clone();
        newer[0] = FORMAT_VERSION + 1;
        assert_eq!(
            decode::<Lead>(&newer),
            Err(CodecError::NewerFormat {
                found: FORMAT_VERSION + 1
            })
        );
        let mut old = bytes.clone();
        old[0] = 0;
        assert_eq!(
            decode::<Lead>(&old),
            Err(CodecError::UnknownFormat { found: 0 })
        );
        assert!(matches!(
            decode::<Lead>(&bytes[..bytes.len() - 3]),
            Err(CodecError::Malformed(_))
        ));
        bytes.push(0);
        assert!(matches!(
            decode::<Lead>(&bytes),
            Err(CodecError::Malformed(_))
        ));
    }
}
