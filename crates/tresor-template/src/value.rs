//! Values as a Go template sees them: each variant stands for the Go type that
//! consul-template would hand to text/template, so type checks, truthiness, printing
//! and JSON/YAML output follow Go.

use std::collections::BTreeMap;
use std::fmt;

/// A map with string keys, kept in byte order of the keys (as Go prints and encodes
/// maps), whatever serde_json features are enabled elsewhere.
pub type Map = BTreeMap<String, Value>;

/// A template value. `Debug` shows only the Go type: values may hold secrets.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// Go's invalid `reflect.Value`: a missing key after a pipeline, an absent argument.
    /// Prints as `<no value>`.
    Missing,
    /// A nil `interface{}` (JSON null, or the zero value of a missing map key).
    Nil,
    Bool(bool),
    /// Go `int` (literals, `len`, range indexes, lease durations).
    Int(i64),
    /// Go `int64` (`parseInt`, arithmetic results).
    Int64(i64),
    Float(f64),
    Str(String),
    /// A `json.Number`: how numbers in Vault responses reach templates. It behaves as a
    /// string, except that JSON and YAML encode it as a number.
    Number(String),
    /// `[]interface{}`
    List(Vec<Value>),
    /// `[]string`
    Strings(Vec<String>),
    /// `map[string]interface{}`
    Map(Map),
    /// A typed nil: a nil map, slice or struct pointer.
    NilOf(NilKind),
    /// A struct (or pointer to one) such as consul-template's `*dependency.Secret`.
    Struct(Box<GoStruct>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NilKind {
    Map,
    List,
    Strings,
    Ptr(StructKind),
}

/// The Go struct types that consul-template's functions return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructKind {
    /// `*dependency.Secret`
    Secret,
    /// `*dependency.SecretAuth`
    SecretAuth,
    /// `*dependency.SecretWrapInfo`
    SecretWrapInfo,
    /// `dependency.PemEncoded` (what `pkiCert` returns)
    PemEncoded,
}

impl StructKind {
    pub fn type_name(self) -> &'static str {
        match self {
            StructKind::Secret => "*dependency.Secret",
            StructKind::SecretAuth => "*dependency.SecretAuth",
            StructKind::SecretWrapInfo => "*dependency.SecretWrapInfo",
            StructKind::PemEncoded => "dependency.PemEncoded",
        }
    }

    pub fn is_pointer(self) -> bool {
        self != StructKind::PemEncoded
    }

    /// The exported fields, in declaration order.
    pub fn field_names(self) -> &'static [&'static str] {
        match self {
            StructKind::Secret => &[
                "RequestID",
                "LeaseID",
                "LeaseDuration",
                "Renewable",
                "Data",
                "Warnings",
                "Auth",
                "WrapInfo",
            ],
            StructKind::SecretAuth => &[
                "ClientToken",
                "Accessor",
                "Policies",
                "Metadata",
                "LeaseDuration",
                "Renewable",
            ],
            StructKind::SecretWrapInfo => &["Token", "TTL", "CreationTime", "WrappedAccessor"],
            StructKind::PemEncoded => &["Cert", "Key", "CA", "CAChain"],
        }
    }

    /// Whether the type has a method by this name (`PemEncoded.Data()` returns itself,
    /// mimicking a secret's `.Data`).
    pub fn has_method(self, name: &str) -> bool {
        self == StructKind::PemEncoded && name == "Data"
    }
}

/// A struct value: one value per field of its kind, in the same order.
#[derive(Clone, PartialEq)]
pub struct GoStruct {
    pub kind: StructKind,
    pub fields: Vec<Value>,
}

impl GoStruct {
    pub fn field(&self, name: &str) -> Option<&Value> {
        let i = self.kind.field_names().iter().position(|f| *f == name)?;
        self.fields.get(i)
    }

    pub fn named_fields(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.kind
            .field_names()
            .iter()
            .copied()
            .zip(self.fields.iter())
    }
}

pub(crate) static EMPTY_MAP: Map = BTreeMap::new();

/// The largest value (roughly, in bytes of memory) a function may build: repeated
/// doubling through variables must not exhaust memory.
pub(crate) const MAX_STRING: usize = 8 << 20;

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// The Go type name, as in error messages and `%T`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Missing => "<nil>",
            Value::Nil => "interface {}",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Number(_) => "json.Number",
            Value::List(_) | Value::NilOf(NilKind::List) => "[]interface {}",
            Value::Strings(_) | Value::NilOf(NilKind::Strings) => "[]string",
            Value::Map(_) | Value::NilOf(NilKind::Map) => "map[string]interface {}",
            Value::NilOf(NilKind::Ptr(k)) => k.type_name(),
            Value::Struct(s) => s.kind.type_name(),
        }
    }

    /// Go's notion of truth: false, 0, nil, and empty strings, slices and maps are false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Missing | Value::Nil | Value::NilOf(_) => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Number(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Strings(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Struct(_) => true,
        }
    }

    /// A nil interface or an invalid value: what `indirectInterface` turns into nothing.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// The string of a Go string-kinded value (`string`, `json.Number`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }

    /// The integer of an integer-kinded value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }

    /// The entries of a map-kinded value (a nil map is empty).
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            Value::NilOf(NilKind::Map) => Some(&EMPTY_MAP),
            _ => None,
        }
    }

    /// A value after one step of the pipeline: Go digs the concrete value out of an
    /// `interface{}`, which turns a nil interface into an invalid value.
    pub(crate) fn dig(self) -> Value {
        if self == Value::Nil {
            Value::Missing
        } else {
            self
        }
    }

    /// A rough size in memory, for limits on intermediate values.
    pub(crate) fn approx_size(&self) -> usize {
        const SLOT: usize = 32;
        match self {
            Value::Str(s) | Value::Number(s) => SLOT + s.len(),
            Value::List(l) => SLOT + l.iter().map(Value::approx_size).sum::<usize>(),
            Value::Strings(l) => SLOT + l.iter().map(|s| 24 + s.len()).sum::<usize>(),
            Value::Map(m) => {
                SLOT + m
                    .iter()
                    .map(|(k, v)| 24 + k.len() + v.approx_size())
                    .sum::<usize>()
            }
            Value::Struct(s) => SLOT + s.fields.iter().map(Value::approx_size).sum::<usize>(),
            _ => SLOT,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({}: [redacted])", self.type_name())
    }
}

impl fmt::Debug for GoStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GoStruct({}: [redacted])", self.kind.type_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_go() {
        let falsy = [
            Value::Missing,
            Value::Nil,
            Value::Bool(false),
            Value::Int(0),
            Value::Float(0.0),
            Value::str(""),
            Value::Number(String::new()),
            Value::List(vec![]),
            Value::Strings(vec![]),
            Value::Map(Map::new()),
            Value::NilOf(NilKind::Map),
            Value::NilOf(NilKind::Ptr(StructKind::SecretAuth)),
        ];
        for v in &falsy {
            assert!(!v.is_true(), "{v:?}");
        }
        let truthy = [
            Value::Bool(true),
            Value::Int64(-1),
            Value::Float(0.5),
            Value::str("0"),
            Value::List(vec![Value::Nil]),
            Value::Struct(Box::new(GoStruct {
                kind: StructKind::PemEncoded,
                fields: vec![],
            })),
        ];
        for v in &truthy {
            assert!(v.is_true(), "{v:?}");
        }
    }

    #[test]
    fn debug_never_shows_contents() {
        let v = Value::str("hunter2");
        assert_eq!(format!("{v:?}"), "Value(string: [redacted])");
    }

    #[test]
    fn struct_fields_by_name() {
        let s = GoStruct {
            kind: StructKind::PemEncoded,
            fields: vec![
                Value::str("c"),
                Value::str("k"),
                Value::str("a"),
                Value::Strings(vec![]),
            ],
        };
        assert_eq!(s.field("Key"), Some(&Value::str("k")));
        assert_eq!(s.field("Nope"), None);
        assert!(StructKind::PemEncoded.has_method("Data"));
    }

    #[test]
    fn dig_turns_nil_into_missing() {
        assert_eq!(Value::Nil.dig(), Value::Missing);
        assert_eq!(Value::Int(1).dig(), Value::Int(1));
    }
}
