//! consul-template's encoders, decoders and parsers. Error messages never repeat the
//! input: it may be a secret.

use base64::Engine;

use crate::json::{self, from_json, JsonStyle, Numbers};
use crate::value::{Map, Value};
use crate::yaml;

fn s(args: &[Value]) -> &str {
    args.first().and_then(Value::as_str).unwrap_or("")
}

fn arg(args: &[Value]) -> &Value {
    args.first().unwrap_or(&Value::Nil)
}

fn encode_json(args: &[Value], pretty: bool, escape_html: bool) -> Result<Value, String> {
    let style = JsonStyle {
        pretty,
        escape_html,
    };
    json::to_json(arg(args), style).map(Value::Str)
}

pub(super) fn to_json(args: &[Value]) -> Result<Value, String> {
    encode_json(args, false, true)
}

pub(super) fn to_json_pretty(args: &[Value]) -> Result<Value, String> {
    encode_json(args, true, true)
}

pub(super) fn to_unescaped_json(args: &[Value]) -> Result<Value, String> {
    encode_json(args, false, false)
}

pub(super) fn to_unescaped_json_pretty(args: &[Value]) -> Result<Value, String> {
    encode_json(args, true, false)
}

/// `toTOML`: consul-template prefixes the encoder's errors with the function's name; nil
/// fails before that, in Go's reflection.
pub(super) fn to_toml(args: &[Value]) -> Result<Value, String> {
    if matches!(arg(args), Value::Nil | Value::Missing) {
        return Err(crate::toml::NIL_VALUE.into());
    }
    crate::toml::to_toml(arg(args))
        .map(Value::Str)
        .map_err(|e| format!("toTOML: {e}"))
}

pub(super) fn to_yaml(args: &[Value]) -> Result<Value, String> {
    Ok(Value::str(yaml::to_yaml(arg(args)).trim()))
}

/// The longest text `parseJSON` takes (2 MiB).
const MAX_JSON_TEXT: usize = 2 << 20;

/// JSON numbers become float64, as `json.Unmarshal` into `interface{}` makes them.
pub(super) fn parse_json(args: &[Value]) -> Result<Value, String> {
    let text = s(args);
    if text.is_empty() {
        return Ok(Value::Map(Map::new()));
    }
    // Parsed values take many times the text's size.
    if text.len() > MAX_JSON_TEXT {
        return Err("JSON text too large".into());
    }
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    Ok(from_json(&v, Numbers::Float))
}

pub(super) fn parse_bool(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(match s(args) {
        "" | "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
        "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
        _ => return Err("parseBool: invalid syntax".into()),
    }))
}

/// Base-10 digits with an optional sign, as `strconv.ParseInt(s, 10, 64)` takes them.
fn decimal(text: &str, signed: bool) -> Result<(bool, u64), &'static str> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') if signed => (true, text.get(1..).unwrap_or("")),
        Some(b'+') if signed => (false, text.get(1..).unwrap_or("")),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    digits
        .parse::<u64>()
        .map(|m| (negative, m))
        .map_err(|_| "value out of range")
}

pub(super) fn parse_int(args: &[Value]) -> Result<Value, String> {
    let text = s(args);
    if text.is_empty() {
        return Ok(Value::Int64(0));
    }
    let (negative, magnitude) = decimal(text, true).map_err(|e| format!("parseInt: {e}"))?;
    let v = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    v.map(Value::Int64)
        .ok_or_else(|| "parseInt: value out of range".into())
}

pub(super) fn parse_uint(args: &[Value]) -> Result<Value, String> {
    let text = s(args);
    if text.is_empty() {
        return Ok(Value::Int64(0));
    }
    let (_, magnitude) = decimal(text, false).map_err(|e| format!("parseUint: {e}"))?;
    i64::try_from(magnitude)
        .map(Value::Int64)
        .map_err(|_| "parseUint: value out of range".into())
}

pub(super) fn parse_float(args: &[Value]) -> Result<Value, String> {
    let text = s(args);
    if text.is_empty() {
        return Ok(Value::Float(0.0));
    }
    let f: f64 = text
        .parse()
        .map_err(|_| "parseFloat: invalid syntax".to_string())?;
    let lower = text.to_ascii_lowercase();
    if f.is_infinite() && !lower.contains("inf") {
        return Err("parseFloat: value out of range".into());
    }
    Ok(Value::Float(f))
}

pub(super) fn base64_encode(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(
        base64::engine::general_purpose::STANDARD.encode(s(args)),
    ))
}

pub(super) fn base64_url_encode(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(
        base64::engine::general_purpose::URL_SAFE.encode(s(args)),
    ))
}

/// Go's decoder skips newlines. Bytes that are not UTF-8 are replaced (U+FFFD): this
/// engine's strings are UTF-8.
fn decode(engine: &impl Engine, text: &str, name: &str) -> Result<Value, String> {
    let cleaned: String = text.chars().filter(|&c| c != '\n' && c != '\r').collect();
    let bytes = engine
        .decode(cleaned)
        .map_err(|_| format!("{name}: illegal base64 data"))?;
    Ok(Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(super) fn base64_decode(args: &[Value]) -> Result<Value, String> {
    decode(
        &base64::engine::general_purpose::STANDARD,
        s(args),
        "base64Decode",
    )
}

pub(super) fn base64_url_decode(args: &[Value]) -> Result<Value, String> {
    decode(
        &base64::engine::general_purpose::URL_SAFE,
        s(args),
        "base64URLDecode",
    )
}

pub(super) fn sha256_hex(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(hex::encode(tresor_crypto::digest::sha256(
        s(args).as_bytes(),
    ))))
}

/// `md5sum`: the hex MD5 of a string (a checksum, e.g. to name a config's version).
pub(super) fn md5_sum(args: &[Value]) -> Result<Value, String> {
    use md5::Digest;
    Ok(Value::Str(hex::encode(md5::Md5::digest(
        s(args).as_bytes(),
    ))))
}

/// `hmacSHA256Hex message key`
pub(super) fn hmac_sha256_hex(args: &[Value]) -> Result<Value, String> {
    let message = s(args);
    let key = args.get(1).and_then(Value::as_str).unwrap_or("");
    Ok(Value::Str(hex::encode(tresor_crypto::digest::hmac_sha256(
        key.as_bytes(),
        message.as_bytes(),
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_int(&[st("-42")]), Ok(Value::Int64(-42)));
        assert_eq!(parse_int(&[st("")]), Ok(Value::Int64(0)));
        assert!(parse_int(&[st("1_000")]).is_err());
        assert!(parse_int(&[st("99999999999999999999")]).is_err());
        assert_eq!(parse_bool(&[st("T")]), Ok(Value::Bool(true)));
        assert!(parse_bool(&[st("yes")]).is_err());
        assert_eq!(parse_float(&[st("1.5e3")]), Ok(Value::Float(1500.0)));
        assert!(parse_float(&[st("1e999")]).is_err());
        assert_eq!(parse_json(&[st("")]), Ok(Value::Map(Map::new())));
        assert_eq!(
            parse_json(&[st("[1]")]),
            Ok(Value::List(vec![Value::Float(1.0)]))
        );
        let err = parse_json(&[st("{\"pw\": hunter2}")])
            .err()
            .unwrap_or_default();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_encode(&[st("hi?>")]), Ok(st("aGk/Pg==")));
        assert_eq!(base64_url_encode(&[st("hi?>")]), Ok(st("aGk_Pg==")));
        assert_eq!(base64_decode(&[st("aGk/\nPg==")]), Ok(st("hi?>")));
        assert_eq!(base64_url_decode(&[st("aGk_Pg==")]), Ok(st("hi?>")));
        assert!(base64_decode(&[st("aGk")]).is_err());
    }

    #[test]
    fn digests() {
        assert_eq!(
            sha256_hex(&[st("hello")]),
            Ok(st(
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
            ))
        );
        assert_eq!(
            hmac_sha256_hex(&[st("message"), st("key")]),
            Ok(st(
                "6e9ef29b75fffc5b7abae527d58fdadb2fe42e7219011976917343065f58ed4a"
            ))
        );
    }
}
