//! Golden tests: every `tests/golden/NAME.tmpl` is rendered against a fake source built
//! from `NAME.json` and compared with `NAME.out` (produced by OpenBao's agent, see
//! `tests/golden/regenerate.py`). Cases under `errors/` must fail with the message in
//! `NAME.err`.

#[cfg(test)]
mod golden {
    use std::collections::HashMap;
    use std::fs;
    use std::path::{Path, PathBuf};

    use serde_json::Value as Json;
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    use tresor_template::{Delims, Dependency, Fetched, RenderOptions, Source, Template};

    /// The key a dependency has in a case's "sources": `func path k=v ...`.
    fn dep_key(dep: &Dependency) -> String {
        let (func, params): (&str, &[(String, String)]) = match dep {
            Dependency::Secret { params, .. } => ("secret", params),
            Dependency::Secrets { .. } => ("secrets", &[]),
            Dependency::PkiCert { params, .. } => ("pkiCert", params),
            Dependency::File { .. } => ("file", &[]),
        };
        let mut key = format!("{func} {}", dep.path());
        for (k, v) in params {
            key.push_str(&format!(" {k}={v}"));
        }
        key
    }

    struct FakeSource {
        sources: HashMap<String, Json>,
        pending: Vec<String>,
        failed: HashMap<String, String>,
        env: HashMap<String, String>,
        now: OffsetDateTime,
        fetches: Vec<String>,
    }

    impl FakeSource {
        fn from_spec(spec: &Json) -> FakeSource {
            let map = |key: &str| -> HashMap<String, Json> {
                spec.get(key)
                    .and_then(Json::as_object)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default()
            };
            let strings = |key: &str| -> HashMap<String, String> {
                map(key)
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                    .collect()
            };
            let now = spec
                .get("now")
                .and_then(Json::as_str)
                .unwrap_or("2024-03-05T14:07:09.120Z");
            FakeSource {
                sources: map("sources"),
                pending: spec
                    .get("pending")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                failed: strings("failed"),
                env: strings("env"),
                now: OffsetDateTime::parse(now, &Rfc3339).unwrap(),
                fetches: Vec::new(),
            }
        }
    }

    impl Source for FakeSource {
        fn fetch(&mut self, dep: &Dependency) -> Fetched {
            let key = dep_key(dep);
            self.fetches.push(key.clone());
            if self.pending.contains(&key) {
                return Fetched::Pending;
            }
            if let Some(reason) = self.failed.get(&key) {
                return Fetched::Failed(reason.clone());
            }
            match self.sources.get(&key) {
                Some(v) => Fetched::Ready(v.clone()),
                None => Fetched::Failed(format!("no secret exists at {}", dep.path())),
            }
        }

        fn env(&self, name: &str) -> Option<String> {
            self.env.get(name).cloned()
        }

        fn now(&self) -> OffsetDateTime {
            self.now
        }
    }

    struct Case {
        name: String,
        text: String,
        spec: Json,
    }

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
    }

    fn cases(dir: &Path) -> Vec<(Case, PathBuf)> {
        let mut out = Vec::new();
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tmpl"))
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = fs::read_to_string(&path).unwrap();
            let json_path = path.with_extension("json");
            let spec = if json_path.exists() {
                serde_json::from_str(&fs::read_to_string(&json_path).unwrap()).unwrap()
            } else {
                Json::Null
            };
            out.push((Case { name, text, spec }, path));
        }
        out
    }

    fn options(spec: &Json) -> (Delims, RenderOptions) {
        let opts = spec.get("options");
        let s = |k: &str| {
            opts.and_then(|o| o.get(k))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let delims = Delims::new(&s("left_delimiter"), &s("right_delimiter"));
        let render = RenderOptions {
            error_on_missing_key: opts
                .and_then(|o| o.get("error_on_missing_key"))
                .and_then(Json::as_bool)
                .unwrap_or(false),
            ..RenderOptions::default()
        };
        (delims, render)
    }

    /// Renders a case: the output, or the error's message.
    fn run(case: &Case) -> (Result<String, String>, FakeSource) {
        let (delims, opts) = options(&case.spec);
        let mut src = FakeSource::from_spec(&case.spec);
        let template = match Template::parse(&case.name, &case.text, &delims) {
            Ok(t) => t,
            Err(e) => return (Err(e.to_string()), src),
        };
        let result = match template.render(&mut src, &opts) {
            Ok(r) if r.complete => Ok(r.output),
            Ok(r) => Err(format!("incomplete; pending: {:?}", r.pending)),
            Err(e) => Err(e.to_string()),
        };
        (result, src)
    }

    #[test]
    fn golden_outputs_match_bao() {
        let mut failures = Vec::new();
        let all = cases(&dir());
        assert!(all.len() >= 20, "only {} golden cases", all.len());
        for (case, path) in &all {
            let want = fs::read_to_string(path.with_extension("out"))
                .unwrap_or_else(|_| panic!("{}: no .out file", case.name));
            match run(case).0 {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!(
                    "--- {}: output differs\n--- want:\n{want}\n--- got:\n{got}",
                    case.name
                )),
                Err(e) => failures.push(format!("--- {}: failed: {e}", case.name)),
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// Expected messages are ours (bao's, in `.bao-error`, differ in positions and
    /// wording in places). `TRESOR_GOLDEN_BLESS=1` rewrites the `.err` files.
    #[test]
    fn golden_errors_match() {
        let mut failures = Vec::new();
        let all = cases(&dir().join("errors"));
        assert!(all.len() >= 10, "only {} error cases", all.len());
        let bless = std::env::var_os("TRESOR_GOLDEN_BLESS").is_some();
        for (case, path) in &all {
            if bless {
                if let Err(e) = run(case).0 {
                    fs::write(path.with_extension("err"), format!("{e}\n")).unwrap();
                }
            }
            let want = fs::read_to_string(path.with_extension("err"))
                .unwrap_or_else(|_| panic!("{}: no .err file", case.name));
            let want = want.trim_end_matches('\n');
            match run(case).0 {
                Err(got) if got == want => {}
                Err(got) => failures.push(format!(
                    "--- {}: error differs\n want: {want}\n  got: {got}",
                    case.name
                )),
                Ok(out) => failures.push(format!("--- {}: rendered {out:?}", case.name)),
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// No error message may show a secret value from a case's sources.
    #[test]
    fn errors_never_show_secret_values() {
        for (case, _) in cases(&dir().join("errors")) {
            let Err(message) = run(&case).0 else {
                continue;
            };
            let failed = case.spec.get("failed").and_then(Json::as_object);
            for key in failed.into_iter().flat_map(|m| m.keys()) {
                for value in key.split(' ').skip(2).filter_map(|kv| kv.split_once('=')) {
                    assert!(
                        !message.contains(value.1),
                        "{}: message shows a parameter value: {message}",
                        case.name
                    );
                }
            }
            let Some(sources) = case.spec.get("sources").and_then(Json::as_object) else {
                continue;
            };
            for response in sources.values() {
                let Some(data) = response.get("data") else {
                    continue;
                };
                let mut stack = vec![data];
                while let Some(v) = stack.pop() {
                    match v {
                        Json::Object(m) => stack.extend(m.values()),
                        Json::Array(a) => stack.extend(a.iter()),
                        Json::String(s) if s.len() >= 4 => {
                            assert!(
                                !message.contains(s.as_str()),
                                "{}: message shows {s:?}: {message}",
                                case.name
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn dependencies_are_fetched_once_in_first_use_order() {
        let text = r#"{{ with secret "b" }}{{ end }}{{ secret "a" "x=1" }}{{ secrets "l" }}{{ with secret "b" }}{{ end }}{{ file "f" }}{{ secret "a" " x = 1 " }}"#;
        let spec =
            serde_json::json!({"pending": ["secret b", "secret a x=1", "secrets l", "file f"]});
        let case = Case {
            name: "deps".into(),
            text: text.into(),
            spec,
        };
        let template = Template::parse("deps", &case.text, &Delims::default()).unwrap();
        let mut src = FakeSource::from_spec(&case.spec);
        let r = template
            .render(&mut src, &RenderOptions::default())
            .unwrap();
        assert!(!r.complete);
        let keys: Vec<String> = r.dependencies.iter().map(dep_key).collect();
        assert_eq!(keys, ["secret b", "secret a x=1", "secrets l", "file f"]);
        assert_eq!(r.pending, r.dependencies);
        assert_eq!(src.fetches, keys, "each dependency is fetched once");
    }

    #[test]
    fn pending_dependencies_do_not_stop_discovery() {
        // The first secret is pending: its value is empty, the error its use would
        // cause is not reported, and the later dependency is still found.
        let text =
            r#"{{ (secret "a").Data.x | toUpper }}{{ with secret "b" }}{{ .Data.v }}{{ end }}"#;
        let template = Template::parse("p", text, &Delims::default()).unwrap();
        let spec = serde_json::json!({
            "pending": ["secret a"],
            "sources": {"secret b": {"data": {"v": "B"}}}
        });
        let mut src = FakeSource::from_spec(&spec);
        let r = template
            .render(&mut src, &RenderOptions::default())
            .unwrap();
        assert!(!r.complete);
        assert_eq!(
            r.dependencies.len(),
            1,
            "render stopped at the stand-in's error"
        );
        let text = r#"{{ with secret "a" }}{{ .Data.x }}{{ end }}{{ with secret "b" }}{{ .Data.v }}{{ end }}"#;
        let template = Template::parse("p", text, &Delims::default()).unwrap();
        let mut src = FakeSource::from_spec(&spec);
        let r = template
            .render(&mut src, &RenderOptions::default())
            .unwrap();
        assert!(!r.complete);
        assert_eq!(r.output, "B");
        assert_eq!(r.pending.len(), 1);
        assert_eq!(r.dependencies.len(), 2);
    }
}
