//! The globs role bindings take: `*` stands for any run of characters (also none),
//! anywhere and any number of times; every other character stands for itself. `*` alone
//! matches everything, the empty pattern only the empty string.

/// Whether `subject` matches `pattern`.
pub fn matches(pattern: &str, subject: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return subject.is_empty();
    };
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return subject == pattern;
    };
    let Some(mut left) = subject.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match left.find(part) {
            Some(at) => left = left.get(at + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

/// Whether `subject` matches one of `patterns`.
pub fn any_matches(patterns: &[String], subject: &str) -> bool {
    patterns.iter().any(|p| matches(p, subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (pattern, subject, want) in [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("web", "web", true),
            ("web", "web2", false),
            ("app-*", "app-frontend", true),
            ("app-*", "app-", true),
            ("app-*", "xapp-frontend", false),
            ("app-*", "ap", false),
            ("*-prod", "billing-prod", true),
            ("*-prod", "billing-prod-2", false),
            ("team-*-prod", "team-a-prod", true),
            ("team-*-prod", "team--prod", true),
            ("team-*-prod", "team-prod", false),
            ("a*b*c", "a-x-b-y-c", true),
            ("a*b*c", "a-x-c-y-b", false),
            ("*ab*", "xxabyy", true),
            ("ab*ab", "ab", false),
            ("ab*ab", "abab", true),
            ("APP-*", "app-x", false),
        ] {
            assert_eq!(matches(pattern, subject), want, "{pattern:?} ~ {subject:?}");
        }
        let bound = vec!["default".to_owned(), "team-*".to_owned()];
        assert!(any_matches(&bound, "team-a"));
        assert!(any_matches(&bound, "default"));
        assert!(!any_matches(&bound, "kube-system"));
        assert!(!any_matches(&[], "default"));
    }
}
