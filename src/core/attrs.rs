//! A lead's custom attributes: the columns of an import that are not lead fields, by name.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::AttrValue;

/// Attributes by name, in name order.
///
/// A sorted list rather than a `BTreeMap`: a lead has a handful, and a B-tree's first node
/// has room for eleven — about 630 bytes per lead, 630 MB of a console holding 10⁶ leads, for
/// two attributes. Stored exactly as that `BTreeMap<String, AttrValue>` was (a map, in name
/// order), so books written before read the same and compare byte for byte.
#[derive(Clone, Default, PartialEq)]
pub struct Attrs(Vec<(String, AttrValue)>);

impl Attrs {
    pub fn new() -> Attrs {
        Attrs(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&AttrValue> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`; returns the value it replaces.
    pub fn insert(&mut self, name: String, value: AttrValue) -> Option<AttrValue> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// Sorts by name, keeping the last of entries with the same name (a stable sort keeps
    /// them in the order they came).
    fn normalise(&mut self) {
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        self.0.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Names and values in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(pair)
    }

    pub fn into_keys(self) -> impl Iterator<Item = String> {
        self.0.into_iter().map(|(k, _)| k)
    }
}

fn pair((k, v): &(String, AttrValue)) -> (&String, &AttrValue) {
    (k, v)
}

/// [`Attrs::iter`].
pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, AttrValue)>,
    fn(&'a (String, AttrValue)) -> (&'a String, &'a AttrValue),
>;

impl<'a> IntoIterator for &'a Attrs {
    type Item = (&'a String, &'a AttrValue);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Attrs {
    type Item = (String, AttrValue);
    type IntoIter = std::vec::IntoIter<(String, AttrValue)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Later values win over earlier ones of the same name, as in a map. Pairs are added, then
/// sorted once (a wide file's row inserted one attribute at a time in column order would
/// move O(n²) entries).
impl Extend<(String, AttrValue)> for Attrs {
    fn extend<I: IntoIterator<Item = (String, AttrValue)>>(&mut self, iter: I) {
        let before = self.0.len();
        self.0.extend(iter);
        if self.0.len() > before {
            self.normalise();
        }
    }
}

impl FromIterator<(String, AttrValue)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (String, AttrValue)>>(iter: I) -> Attrs {
        let mut attrs = Attrs::new();
        attrs.extend(iter);
        attrs
    }
}

impl<const N: usize> From<[(String, AttrValue); N]> for Attrs {
    fn from(pairs: [(String, AttrValue); N]) -> Attrs {
        pairs.into_iter().collect()
    }
}

impl std::ops::Index<&str> for Attrs {
    type Output = AttrValue;

    /// The value of `name`; panics when the lead has none (as a map's index does).
    fn index(&self, name: &str) -> &AttrValue {
        self.get(name)
            .unwrap_or_else(|| panic!("no attribute named {name:?}"))
    }
}

impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Attrs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Attrs, D::Error> {
        struct AttrsVisitor;

        impl<'de> Visitor<'de> for AttrsVisitor {
            type Value = Attrs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attribute names to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attrs, A::Error> {
                // A stored length is a claim, not a promise: reserve a few at most.
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                let mut attrs = Attrs(pairs);
                attrs.normalise();
                attrs.0.shrink_to_fit();
                Ok(attrs)
            }
        }

        deserializer.deserialize_map(AttrsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::store::codec;

    fn value() -> impl Strategy<Value = AttrValue> {
        prop_oneof![
            ".{0,12}".prop_map(AttrValue::Text),
            any::<f64>()
                .prop_filter("NaN is not equal to itself", |n| !n.is_nan())
                .prop_map(AttrValue::Number),
            any::<bool>().prop_map(AttrValue::Bool),
            any::<i64>().prop_map(AttrValue::Date),
        ]
    }

    proptest! {
        /// Books store attributes as a `BTreeMap` wrote them: the same bytes both ways, so a
        /// book written before this type reads back unchanged and vice versa.
        #[test]
        fn attributes_are_stored_as_the_map_stored_them(
            pairs in proptest::collection::vec(("[a-zA-Z _]{0,8}", value()), 0..12)
        ) {
            let map: BTreeMap<String, AttrValue> = pairs.iter().cloned().collect();
            let attrs: Attrs = pairs.into_iter().collect();
            let bytes = codec::encode(&map);
            prop_assert_eq!(codec::encode(&attrs), bytes.clone());
            let read: Attrs = codec::decode(&bytes).unwrap();
            prop_assert_eq!(&read, &attrs);
            let back: BTreeMap<String, AttrValue> = codec::decode(&codec::encode(&read)).unwrap();
            prop_assert_eq!(back, map.clone());
            // Reading and looking up behave as the map's did.
            prop_assert_eq!(read.len(), map.len());
            for (k, v) in &map {
                prop_assert_eq!(read.get(k), Some(v));
            }
            prop_assert!(read.iter().map(|(k, _)| k).eq(map.keys()));
        }
    }

    #[test]
    fn a_later_value_of_the_same_name_wins() {
        let mut a = Attrs::from([
            ("b".to_string(), AttrValue::Bool(true)),
            ("a".to_string(), AttrValue::Number(1.0)),
            ("a".to_string(), AttrValue::Number(2.0)),
        ]);
        assert_eq!(a.len(), 2);
        assert_eq!(a["a"], AttrValue::Number(2.0));
        assert_eq!(
            a.insert("b".into(), AttrValue::Bool(false)),
            Some(AttrValue::Bool(true))
        );
        assert!(!a.contains_key("c"));
        assert_eq!(format!("{a:?}"), r#"{"a": Number(2.0), "b": Bool(false)}"#);
    }

    /// A wide row (here 3 000 columns, in an order unrelated to their names, some twice)
    /// reads as the map would have it.
    #[test]
    fn many_attributes_added_at_once_read_as_a_map() {
        let pairs: Vec<(String, AttrValue)> = (0..3_000u32)
            .map(|i| {
                let name = format!("col {}", (i * 7_919) % 2_500);
                (name, AttrValue::Number(f64::from(i)))
            })
            .collect();
        let map: BTreeMap<String, AttrValue> = pairs.iter().cloned().collect();
        let mut attrs = Attrs::from([("col 1".to_string(), AttrValue::Bool(true))]);
        attrs.extend(pairs);
        assert_eq!(attrs.len(), map.len());
        assert!(attrs.iter().eq(map.iter()));
    }
}
