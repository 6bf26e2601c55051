//! Property tests: whatever the template text, parsing and rendering return (no panic,
//! no stack overflow, bounded work), and no error message shows a secret value.

#[path = "support/fixed_source.rs"]
mod fixed_source;

#[cfg(test)]
mod props {
    use super::fixed_source::{Fixed, MARKER};
    use proptest::prelude::*;
    use tresor_template::{Delims, RenderOptions, Template};

    const PIECES: &[&str] = &[
        "{{",
        "}}",
        "{{- ",
        " -}}",
        " ",
        " ",
        " ",
        "\n",
        "text",
        "if ",
        "else ",
        "end",
        "range ",
        "with ",
        "define ",
        "template ",
        "block ",
        "break",
        "continue",
        "$x",
        "$",
        " := ",
        " = ",
        ", ",
        " | ",
        "(",
        ")",
        ".",
        ".Data",
        ".data",
        ".password",
        ".list",
        ".nested",
        ".k",
        ".Nope",
        ".Auth",
        ".ClientToken",
        ".Cert",
        "\"a\"",
        "`raw`",
        "'c'",
        "1",
        "-2",
        "3.5",
        "1e3",
        "0x1F",
        "true",
        "nil",
        "secret ",
        "\"pending\"",
        "\"fail\"",
        "\"k=v\"",
        "secrets ",
        "pkiCert ",
        "printf ",
        "\"%d %s %v %q %5.2f %x\"",
        "index ",
        "slice ",
        "len ",
        "eq ",
        "lt ",
        "and ",
        "or ",
        "not ",
        "toJSON ",
        "toYAML ",
        "toJSONPretty ",
        "parseJSON ",
        "\"{\\\"k\\\":[1,{}]}\"",
        "split ",
        "join ",
        "add ",
        "divide ",
        "modulo ",
        "loop ",
        "executeTemplate ",
        "env ",
        "\"HOME\"",
        "mustEnv ",
        "file ",
        "timestamp ",
        "indent ",
        "toUpper ",
        "toTitle ",
        "regexReplaceAll ",
        "\"(a)\"",
        "\"$1\"",
        "base64Decode ",
        "contains ",
        "key ",
        "/*",
        "*/",
        "print ",
        "html ",
        "js ",
        "urlquery ",
        "sha256Hex ",
        "replaceAll ",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|v| v.concat())
    }

    fn check(text: &str, delims: &Delims) {
        let opts = RenderOptions {
            error_on_missing_key: text.ends_with(' '),
            max_output_bytes: 1 << 20,
            max_steps: 20_000,
        };
        let template = match Template::parse("p", text, delims) {
            Ok(t) => t,
            Err(e) => {
                assert!(e.to_string().len() < 2_000);
                return;
            }
        };
        let first = template.render(&mut Fixed, &opts);
        let second = template.render(&mut Fixed, &opts);
        match (&first, &second) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "rendering is deterministic"),
            (Err(a), Err(b)) => {
                let message = a.to_string();
                assert_eq!(message, b.to_string());
                if !text.contains(MARKER) {
                    assert!(!message.contains(MARKER), "leak: {message}");
                }
            }
            _ => panic!("two renders disagree"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn token_soups_never_panic(text in soup()) {
            check(&text, &Delims::default());
        }

        #[test]
        fn token_soups_with_other_delimiters(text in soup()) {
            let text = text.replace("{{", "<<").replace("}}", ">>");
            check(&text, &Delims::new("<<", ">>"));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            check(&text, &Delims::default());
            check(&format!("{{{{{text}}}}}"), &Delims::default());
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        for text in [
            "{{if 1}}".repeat(5_000),
            format!("{{{{{}1{}}}}}", "(".repeat(5_000), ")".repeat(5_000)),
            "{{with 1}}{{range 1}}".repeat(2_000),
            format!(
                "{{{{ parseJSON `{}{}` }}}}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            ),
            "{{define \"r\"}}{{if 1}}{{template \"r\" .}}{{end}}{{end}}{{template \"r\"}}".into(),
            "{{define \"r\"}}{{executeTemplate \"r\"}}{{end}}{{template \"r\"}}".into(),
        ] {
            check(&text, &Delims::default());
        }
    }

    #[test]
    fn work_and_size_are_bounded() {
        for text in [
            "{{range 1000000000}}x{{end}}",
            "{{range $i := loop 100000000}}{{end}}",
            "{{$x := \"ab\"}}{{range 80}}{{$x = print $x $x}}{{end}}{{len $x}}",
            "{{printf \"%999999d\" 1}}",
            "{{indent 1000000 (printf \"%900000s\" \"\")}}",
            "{{$x := \"ab\"}}{{range 40}}{{$x = replaceAll \"a\" $x $x}}{{end}}",
        ] {
            check(text, &Delims::default());
        }
    }
}
