//! A manifest entry serialized key by key as it is built: each value goes straight to
//! JSON bytes from what it borrows, with no `serde_json::Value` tree (and no hashed key
//! map) per node. Keys keep their first position when set again, as a JSON object would.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

/// An object under construction: its keys in order, each with its serialized value.
#[derive(Default)]
pub(super) struct EntryOut {
    buf: Vec<u8>,
    keys: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl EntryOut {
    pub(super) fn new() -> EntryOut {
        EntryOut {
            buf: Vec::with_capacity(4096),
            keys: Vec::with_capacity(48),
        }
    }

    /// Sets `key` (a plain ASCII name that needs no escaping) to `value`.
    pub(super) fn set<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        let start = self.buf.len();
        serde_json::to_writer(&mut self.buf, value).expect("a manifest value serializes");
        let range = start..self.buf.len();
        match self.keys.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = range,
            None => self.keys.push((key, range)),
        }
    }

    /// Appends the object's JSON to `out`.
    pub(super) fn write_to(&self, out: &mut Vec<u8>) {
        let size: usize = self.keys.iter().map(|(k, r)| k.len() + r.len() + 4).sum();
        out.reserve(size + 2);
        out.push(b'{');
        for (i, (key, range)) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(&self.buf[range.clone()]);
        }
        out.push(b'}');
    }

    /// The object as a JSON value (for the in-memory manifest).
    pub(super) fn to_value(&self) -> Value {
        let mut bytes = Vec::new();
        self.write_to(&mut bytes);
        serde_json::from_slice(&bytes).expect("a manifest entry parses back")
    }
}

/// A node's `config` with its hooks spelled out as dbt stores them, serialized from the
/// node's config map without copying it.
pub(super) struct ConfigOut<'a>(pub &'a Map<String, Value>);

impl Serialize for ConfigOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            match value {
                Value::Array(items) if key == "pre-hook" || key == "post-hook" => {
                    let hooks: Vec<Value> = items.iter().map(super::hook_entry).collect();
                    map.serialize_entry(key, &hooks)?;
                }
                other => map.serialize_entry(key, other)?,
            }
        }
        map.end()
    }
}

/// `depends_on`.
#[derive(Serialize)]
pub(super) struct DependsOn<'a> {
    pub nodes: &'a [String],
    pub macros: &'a [String],
}
