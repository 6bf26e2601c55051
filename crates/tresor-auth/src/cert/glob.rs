//! The glob Vault's certificate constraints use: `*` stands for any run of characters
//! (dots and slashes included); every other character stands for itself.

/// Whether `subject` matches `pattern`. An empty pattern matches only an empty subject.
pub fn glob(pattern: &str, subject: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return pattern == subject;
    };
    let Some(mut remaining) = subject.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        // The leftmost occurrence leaves the most room for what follows.
        let Some(after) = remaining
            .find(part)
            .and_then(|at| remaining.get(at + part.len()..))
        else {
            return false;
        };
        remaining = after;
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn star_is_any_run() {
        for (pattern, subject) in [
            ("*", ""),
            ("*", "anything.at/all"),
            ("web.example.com", "web.example.com"),
            ("*.example.com", "web.example.com"),
            ("*.example.com", "a.b.example.com"),
            ("web*", "web"),
            ("w*b*m", "web.example.com"),
            ("a*a", "aa"),
            ("spiffe://example.com/*", "spiffe://example.com/ns/web"),
            ("", ""),
        ] {
            assert!(glob(pattern, subject), "{pattern} ~ {subject}");
        }
        for (pattern, subject) in [
            ("*.example.com", "example.com"),
            ("*.example.com", "web.example.com.evil"),
            ("web", "web2"),
            ("web", "Web"),
            ("a*a", "a"),
            ("w*z*m", "web.example.com"),
            ("", "x"),
            ("?", "x"),
        ] {
            assert!(!glob(pattern, subject), "{pattern} !~ {subject}");
        }
    }
}
