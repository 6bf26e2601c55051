//! Templates are operator input the agent renders with secrets: whatever the text,
//! parsing and rendering must return (no panic, no stack overflow, bounded work), two
//! renders must agree, and no error message may show a secret value from the source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor_template::{Delims, RenderOptions, Template};

#[path = "../../crates/tresor-template/tests/support/fixed_source.rs"]
mod fixed_source;
use fixed_source::{Fixed, MARKER};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the delimiters and the missing-key mode.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let delims = match mode % 3 {
        0 => Delims::default(),
        1 => Delims::new("[[", "]]"),
        _ => Delims::new("<%", "%>"),
    };
    let opts = RenderOptions {
        error_on_missing_key: mode & 0x80 != 0,
        max_output_bytes: 1 << 20,
        max_steps: 50_000,
    };
    let template = match Template::parse("fuzz", text, &delims) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.to_string().len() < 4_000);
            return;
        }
    };
    let first = template.render(&mut Fixed, &opts);
    let second = template.render(&mut Fixed, &opts);
    match (first, second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => {
            let message = a.to_string();
            assert_eq!(message, b.to_string());
            if !text.contains(MARKER) {
                assert!(!message.contains(MARKER), "an error shows a secret: {message}");
            }
        }
        _ => panic!("two renders of one template disagree"),
    }
});
