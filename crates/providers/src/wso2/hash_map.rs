//! The member order of JSON objects WSO2 serializes from a `java.util.HashMap` (Oltu's
//! `JSONUtils.buildJSON` walks the map it is given): the order of the map's buckets, which
//! follows from `String.hashCode`, the table size and, within one bucket, insertion order.

use serde_json::{Map, Value};

/// `map`'s members in the order a `java.util.HashMap` (default capacity 16, load factor 0.75)
/// filled in `map`'s order iterates them.
pub(super) fn java_hash_map_order(map: Map<String, Value>) -> Map<String, Value> {
    let mut capacity: usize = 16;
    // HashMap resizes once its size exceeds capacity × 0.75, doubling the table each time.
    while map.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut members: Vec<(usize, usize, String, Value)> = map
        .into_iter()
        .enumerate()
        .map(|(inserted, (key, value))| (bucket(&key, capacity), inserted, key, value))
        .collect();
    members.sort_by_key(|(bucket, inserted, _, _)| (*bucket, *inserted));
    members.into_iter().map(|(_, _, key, value)| (key, value)).collect()
}

/// The bucket of `key` in a table of `capacity` slots: `(h ^ (h >>> 16)) & (capacity - 1)`
/// with `h` Java's `String.hashCode` (UTF-16 code units).
fn bucket(key: &str, capacity: usize) -> usize {
    let hash = key
        .encode_utf16()
        .fold(0u32, |hash, unit| hash.wrapping_mul(31).wrapping_add(u32::from(unit)));
    ((hash ^ (hash >> 16)) as usize) & (capacity - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(members: &[&str]) -> Vec<String> {
        let map: Map<String, Value> = members.iter().map(|key| ((*key).to_owned(), json!(1))).collect();
        java_hash_map_order(map).keys().cloned().collect()
    }

    #[test]
    fn the_order_is_the_java_hash_maps() {
        // Oltu's error body: `error_description` before `error`, as WSO2 answers.
        assert_eq!(keys(&["error", "error_description"]), ["error_description", "error"]);
        // Nine introspection members (16 slots), the order the WSO2 flavor wrote by hand before.
        assert_eq!(
            keys(&[
                "active",
                "nbf",
                "scope",
                "username",
                "token_type",
                "client_id",
                "iat",
                "exp",
                "aut"
            ]),
            [
                "aut",
                "nbf",
                "scope",
                "active",
                "token_type",
                "exp",
                "iat",
                "client_id",
                "username"
            ]
        );
        // Thirteen members: the table has grown to 32 slots.
        assert_eq!(
            keys(&[
                "active",
                "nbf",
                "scope",
                "username",
                "token_type",
                "client_id",
                "iat",
                "exp",
                "aut",
                "aud",
                "org_id",
                "org_name",
                "org_handle"
            ]),
            [
                "aut",
                "active",
                "token_type",
                "client_id",
                "aud",
                "nbf",
                "org_id",
                "scope",
                "exp",
                "org_name",
                "iat",
                "username",
                "org_handle"
            ]
        );
    }
}
