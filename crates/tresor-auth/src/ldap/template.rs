//! The `{{.Name}}` placeholders of `userfilter` and `groupfilter`, as Vault writes
//! them (Go templates). Only plain field references are supported; any other template
//! action is refused when the config is written.

/// Checks that every `{{ ... }}` in `template` is a reference to one of `names`.
pub fn check(template: &str, names: &[&str]) -> Result<(), String> {
    let vars: Vec<(&str, &str)> = names.iter().map(|n| (*n, "")).collect();
    render(template, &vars).map(|_| ())
}

/// Replaces each `{{.Name}}` by its value from `vars`. Values are put in as given: the
/// caller escapes them for the filter first.
pub fn render(template: &str, vars: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 2..).unwrap_or_default();
        let close = after
            .find("}}")
            .ok_or_else(|| "unclosed action".to_owned())?;
        let action = after.get(..close).unwrap_or_default().trim();
        let value = action
            .strip_prefix('.')
            .and_then(|name| vars.iter().find(|(n, _)| *n == name))
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<String> =
                    vars.iter().map(|(n, _)| format!("{{{{.{n}}}}}")).collect();
                format!(
                    "unsupported template action {{{{{action}}}}}; use {}",
                    known.join(" or ")
                )
            })?;
        out.push_str(value);
        rest = after.get(close + 2..).unwrap_or_default();
    }
    if rest.contains("}}") {
        return Err("unexpected \"}}\"".to_owned());
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced() {
        let vars = [("Username", "bob"), ("UserDN", "uid=bob,dc=x")];
        assert_eq!(
            render("(|(memberUid={{.Username}})(member={{ .UserDN }}))", &vars).unwrap(),
            "(|(memberUid=bob)(member=uid=bob,dc=x))"
        );
        assert_eq!(render("(cn=x)", &vars).unwrap(), "(cn=x)");
        assert!(check("({{.UserAttr}}={{.Username}})", &["UserAttr", "Username"]).is_ok());
    }

    #[test]
    fn other_actions_are_refused() {
        for bad in [
            "({{.Nope}}=x)",
            "({{if .Username}}x{{end}})",
            "(cn={{.Username}",
            "(cn=x}})",
            "{{printf \"%s\" .Username}}",
        ] {
            assert!(check(bad, &["Username"]).is_err(), "{bad}");
        }
        assert_eq!(
            check("{{.X}}", &["Username", "UserDN"]).unwrap_err(),
            "unsupported template action {{.X}}; use {{.Username}} or {{.UserDN}}"
        );
    }
}
