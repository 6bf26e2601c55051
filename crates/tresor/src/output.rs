//! Printing results as the Vault CLI does: aligned key/value tables or JSON.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// A two-column table with a `Key`/`Value` header, columns aligned.
pub fn table(rows: &[(&str, String)]) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.len())
        .chain([3])
        .max()
        .unwrap_or(3)
        + 4;
    let mut out = format!("{:<width$}Value\n{:<width$}-----\n", "Key", "---");
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}{v}\n"));
    }
    out
}

pub fn json(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aligns_like_vault() {
        let t = super::table(&[
            ("Sealed", "false".into()),
            ("Unseal Progress", "1/3".into()),
        ]);
        assert_eq!(t, "Key                Value\n---                -----\nSealed             false\nUnseal Progress    1/3\n");
    }
}
