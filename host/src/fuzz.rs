//! Generators for the property tests that feed host's parsers and checks
//! hostile input: text that stresses parsers, random YAML and JSON documents,
//! and valid documents with a few edits made at random places.
//!
//! A case that fails is shrunk by proptest and saved under
//! `host/proptest-regressions/`, so every later run tries it first; a crash
//! found this way also gets a test of its own, named after what it broke.

use proptest::prelude::*;

/// Strings of the kinds that break parsers: any printable text, YAML and JSON
/// punctuation, multi-byte and zero-width characters, long digit runs and
/// region-like codes.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        "[a-z0-9:_\\-\\[\\]{}\\n #&*!|>'\"%@`,.]{0,24}",
        "[é€𝄞\u{feff}\u{200b}\u{0}\\\\a-z \\n\\t]{0,12}",
        "-?[0-9]{1,30}(\\.[0-9]{0,5})?",
        "(us|eu|ap|cn|xx)-(east|west|north|gov-west)-[0-9]{1,2}[a-f]?",
        Just(String::new()),
    ]
}

/// Any YAML value, a few levels deep.
pub fn yaml() -> impl Strategy<Value = serde_norway::Value> {
    use serde_norway::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|n| Value::Number(n.into())),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Sequence),
            prop::collection::vec((text(), inner), 0..6).prop_map(|pairs| Value::Mapping(
                pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
            )),
        ]
    })
}

/// Any JSON value, a few levels deep.
pub fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>()
            .prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// What one edit of a document does.
#[derive(Debug, Clone)]
enum Edit {
    /// Cut up to this many characters.
    Cut(usize),
    /// Insert this text.
    Insert(String),
    /// Repeat up to this many characters that follow.
    Repeat(usize),
}

/// `valid` with one to four edits at random character boundaries.
pub fn mutated(valid: String) -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (1..16_usize).prop_map(Edit::Cut),
        text().prop_map(Edit::Insert),
        (1..32_usize).prop_map(Edit::Repeat),
    ];
    let place = any::<prop::sample::Index>();
    prop::collection::vec((place, edit), 1..5).prop_map(move |edits| {
        let mut chars: Vec<char> = valid.chars().collect();
        for (place, edit) in edits {
            let at = place.index(chars.len() + 1);
            let end = |n: usize| (at + n).min(chars.len());
            match edit {
                Edit::Cut(n) => drop(chars.drain(at..end(n))),
                Edit::Insert(text) => drop(chars.splice(at..at, text.chars())),
                Edit::Repeat(n) => {
                    let span: Vec<char> = chars[at..end(n)].to_vec();
                    drop(chars.splice(at..at, span));
                }
            }
        }
        chars.into_iter().collect()
    })
}

/// IPv4 CIDR blocks, most of them well formed, some with host bits set or
/// numbers out of range.
pub fn cidr() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (any::<[u8; 4]>(), 8..=30_u8).prop_map(|(octets, prefix)| {
            let net = ipnet::Ipv4Net::new(octets.into(), prefix).unwrap();
            net.trunc().to_string()
        }),
        2 => (0..=255_u8, 16..=28_u8).prop_map(|(third, prefix)| {
            let net = ipnet::Ipv4Net::new([10, 0, third, 0].into(), prefix).unwrap();
            net.trunc().to_string()
        }),
        1 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,4}/[0-9]{1,3}",
        1 => text(),
    ]
}

/// A JSON value: usually one from `good`, sometimes anything at all.
pub fn or_any(
    good: impl Strategy<Value = serde_json::Value> + 'static,
) -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![8 => good, 1 => json()]
}
