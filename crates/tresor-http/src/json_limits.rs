//! A linear pre-scan of a JSON body that refuses, before any parsing, the shapes whose
//! parsed form would cost far more memory than the body itself: very many entries in one
//! object or array, or very many values in all. A 32 MiB body of `"",` repeated would
//! otherwise become a few hundred MiB of parsed values.

/// Entries allowed in one object or array.
pub const MAX_ENTRIES_PER_CONTAINER: usize = 10_000;
/// Values (strings, numbers, literals, containers, object keys) allowed in one body.
pub const MAX_VALUES: usize = 500_000;

#[derive(Debug, PartialEq, Eq)]
pub enum TooComplex {
    Entries,
    Values,
}

impl TooComplex {
    pub fn message(&self) -> String {
        match self {
            TooComplex::Entries => format!(
                "refused JSON input due to high complexity: more than {MAX_ENTRIES_PER_CONTAINER} entries in one object or array"
            ),
            TooComplex::Values => {
                format!("refused JSON input due to high complexity: more than {MAX_VALUES} values")
            }
        }
    }
}

/// Counts separators per container outside strings; malformed JSON passes through to the
/// parser, which reports it.
pub fn check(body: &[u8]) -> Result<(), TooComplex> {
    let mut in_string = false;
    let mut escaped = false;
    let mut separators_per_level: Vec<usize> = Vec::new();
    let mut values: usize = 1;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                separators_per_level.push(0);
                values += 1;
            }
            b'}' | b']' => {
                separators_per_level.pop();
            }
            b',' | b':' => {
                values += 1;
                if b == b',' {
                    if let Some(n) = separators_per_level.last_mut() {
                        *n += 1;
                        if *n >= MAX_ENTRIES_PER_CONTAINER {
                            return Err(TooComplex::Entries);
                        }
                    }
                }
            }
            _ => continue,
        }
        if values > MAX_VALUES {
            return Err(TooComplex::Values);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(n: usize, item: &str) -> String {
        format!("[{}]", vec![item; n].join(","))
    }

    #[test]
    fn ordinary_bodies_pass() {
        check(br#"{"key": "a,b:c[{", "nested": {"list": [1, 2, 3]}, "s": "\"quoted,\""}"#).unwrap();
        check(array(MAX_ENTRIES_PER_CONTAINER, "0").as_bytes()).unwrap();
        check(b"").unwrap();
    }

    #[test]
    fn wide_containers_are_refused() {
        assert_eq!(
            check(array(MAX_ENTRIES_PER_CONTAINER + 1, "\"\"").as_bytes()),
            Err(TooComplex::Entries)
        );
        let wide_object = format!(
            "{{{}}}",
            (0..=MAX_ENTRIES_PER_CONTAINER)
                .map(|i| format!("\"k{i}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(check(wide_object.as_bytes()), Err(TooComplex::Entries));
    }

    #[test]
    fn many_values_across_containers_are_refused() {
        let inner = array(MAX_ENTRIES_PER_CONTAINER - 1, "0");
        let outer = array(MAX_VALUES / MAX_ENTRIES_PER_CONTAINER + 2, &inner);
        assert_eq!(check(outer.as_bytes()), Err(TooComplex::Values));
    }
}
