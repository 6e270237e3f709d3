//! JSON objects as JOSE reads them: [`object`] (a repeated member: the last one counts) and
//! [`strict_object`] (a repeated member at any depth is refused, RFC 7515 §4 and RFC 7519 §4:
//! "MUST either reject … or use a JSON parser that returns only the lexically last", and a
//! validator must not let two readers see two different values).

use crate::Error;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses `bytes` as one JSON object; a repeated member keeps its last value.
///
/// # Errors
/// [`Error::NotAnObject`] for invalid JSON or JSON other than an object.
pub fn object(bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::NotAnObject),
    }
}

/// Parses `bytes` as one JSON object strictly: no repeated member name at any depth, no
/// trailing data, nesting bounded by serde_json's recursion limit.
///
/// # Errors
/// [`Error::DuplicateMember`], or [`Error::NotAnObject`] for anything else refused.
pub fn strict_object(bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match Strict::deserialize(&mut de) {
        Ok(Strict(value)) => value,
        Err(err) if err.to_string().starts_with(DUPLICATE) => return Err(Error::DuplicateMember),
        Err(_) => return Err(Error::NotAnObject),
    };
    de.end().map_err(|_| Error::NotAnObject)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Error::NotAnObject),
    }
}

const DUPLICATE: &str = "duplicate member";

/// A JSON value whose objects never repeat a member.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|Strict(v)| v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert_eq!(strict_object(br#"{"a":1,"a":2}"#), Err(Error::DuplicateMember));
        assert_eq!(
            strict_object(br#"{"x":{"r":[],"r":["admin"]}}"#),
            Err(Error::DuplicateMember)
        );
        assert!(strict_object(br#"{"a":1,"b":[{"a":1},{"a":2}]}"#).is_ok());
    }

    #[test]
    fn non_objects_and_trailing_data_are_not_objects() {
        for input in [
            &b"[]"[..],
            b"\"x\"",
            b"1",
            b"null",
            b"{} {}",
            b"\xef\xbb\xbf{}",
            b"{\"a\":NaN}",
        ] {
            assert_eq!(strict_object(input), Err(Error::NotAnObject), "{input:?}");
            assert_eq!(object(input), Err(Error::NotAnObject), "{input:?}");
        }
    }

    #[test]
    fn the_lenient_reader_keeps_the_last_repeated_member() {
        assert_eq!(object(br#"{"a":1,"a":2}"#).unwrap()["a"], 2);
    }
}
