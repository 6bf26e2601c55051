//! Go's `fmt` and `strconv` output, as far as templates reach it.

pub(crate) mod float;
pub(crate) mod print;
pub(crate) mod printf;
pub(crate) mod quote;
pub(crate) mod value;
