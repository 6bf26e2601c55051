//! The function table: Go's builtins and consul-template's functions, each with the Go
//! parameter types that decide how arguments are checked and converted.

mod builtin;
mod compare;
mod convert;
mod math;
mod strings;
mod vault;

use std::fmt;

use crate::deps::Deps;
use crate::source::Dependency;
use crate::value::Value;

/// A parameter's Go type, which decides how an argument is checked (Go's
/// `validateType` / `evalArg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// `interface{}`: anything; an absent value becomes nil.
    Any,
    /// `reflect.Value` (Go's builtins): the value as it is, absent values included.
    Val,
    Str,
    Int,
    /// `[]string`
    StrList,
    /// `[]interface{}`
    AnyList,
}

impl Param {
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Val => "reflect.Value",
            Param::Str => "string",
            Param::Int => "int",
            Param::StrList => "[]string",
            Param::AnyList => "[]interface {}",
        }
    }
}

/// Why a function call failed.
#[derive(Clone, Debug)]
pub(crate) enum FuncError {
    /// Reported as "error calling NAME: message".
    Msg(String),
    /// The source said the dependency could not be fetched.
    Dependency { dep: Dependency, reason: String },
}

impl From<String> for FuncError {
    fn from(s: String) -> Self {
        FuncError::Msg(s)
    }
}

impl From<&str> for FuncError {
    fn from(s: &str) -> Self {
        FuncError::Msg(s.to_string())
    }
}

pub(crate) type PureFn = fn(&[Value]) -> Result<Value, String>;
pub(crate) type CtxFn = fn(&mut Deps<'_>, &[Value]) -> Result<Value, FuncError>;

pub(crate) enum Imp {
    Pure(PureFn),
    Ctx(CtxFn),
    /// `and` / `or`: evaluated lazily by the evaluator.
    And,
    Or,
    /// `executeTemplate "name" [data]`: a `define`d template's output, as a string.
    ExecuteTemplate,
    /// A consul-template function tresor does not offer; calling it fails with this.
    Unsupported(&'static str),
}

pub(crate) struct FuncDef {
    pub name: &'static str,
    pub params: &'static [Param],
    pub variadic: Option<Param>,
    pub imp: Imp,
}

impl fmt::Debug for FuncDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FuncDef({})", self.name)
    }
}

impl FuncDef {
    /// The type of parameter `i` of a call with `n` arguments.
    pub(crate) fn param(&self, i: usize) -> Param {
        self.params
            .get(i)
            .copied()
            .or(self.variadic)
            .unwrap_or(Param::Any)
    }
}

use Param::{Any, AnyList, Int, Str, StrList, Val};

const fn pure(name: &'static str, params: &'static [Param], f: PureFn) -> FuncDef {
    FuncDef {
        name,
        params,
        variadic: None,
        imp: Imp::Pure(f),
    }
}

const fn pure_var(
    name: &'static str,
    params: &'static [Param],
    variadic: Param,
    f: PureFn,
) -> FuncDef {
    FuncDef {
        name,
        params,
        variadic: Some(variadic),
        imp: Imp::Pure(f),
    }
}

const fn ctx(
    name: &'static str,
    params: &'static [Param],
    variadic: Option<Param>,
    f: CtxFn,
) -> FuncDef {
    FuncDef {
        name,
        params,
        variadic,
        imp: Imp::Ctx(f),
    }
}

const NO_CONSUL: &str = "Consul is not available: tresor's templates read Vault only";
const NO_NOMAD: &str = "Nomad is not available: tresor's templates read Vault only";
const NOT_OFFERED: &str = "this consul-template function is not supported by tresor";

const fn unsupported(name: &'static str, why: &'static str) -> FuncDef {
    FuncDef {
        name,
        params: &[],
        variadic: Some(Any),
        imp: Imp::Unsupported(why),
    }
}

static FUNCS: &[FuncDef] = &[
    // Go's builtins.
    FuncDef {
        name: "and",
        params: &[Val],
        variadic: Some(Val),
        imp: Imp::And,
    },
    FuncDef {
        name: "or",
        params: &[Val],
        variadic: Some(Val),
        imp: Imp::Or,
    },
    pure("not", &[Val], builtin::not),
    pure("len", &[Val], builtin::len),
    pure_var("index", &[Val], Val, builtin::index),
    pure_var("slice", &[Val], Val, builtin::slice),
    pure_var("print", &[], Any, builtin::print),
    pure_var("printf", &[Str], Any, builtin::printf),
    pure_var("println", &[], Any, builtin::println),
    pure_var("html", &[], Any, builtin::html),
    pure_var("js", &[], Any, builtin::js),
    pure_var("urlquery", &[], Any, builtin::urlquery),
    pure_var("eq", &[Val], Val, compare::eq),
    pure("ne", &[Val, Val], compare::ne),
    pure("lt", &[Val, Val], compare::lt),
    pure("le", &[Val, Val], compare::le),
    pure("gt", &[Val, Val], compare::gt),
    pure("ge", &[Val, Val], compare::ge),
    // consul-template: Vault, files, environment, time.
    ctx("secret", &[], Some(Str), vault::secret),
    ctx("secrets", &[Str], None, vault::secrets),
    ctx("pkiCert", &[], Some(Str), vault::pki_cert),
    ctx("file", &[Str], None, vault::file),
    ctx("env", &[Str], None, vault::env),
    ctx("mustEnv", &[Str], None, vault::must_env),
    ctx("envOrDefault", &[Str, Str], None, vault::env_or_default),
    ctx("timestamp", &[], Some(Str), vault::timestamp),
    // consul-template: strings and collections.
    pure("contains", &[Any, Any], strings::contains),
    pure("in", &[Any, Any], strings::in_),
    pure("containsAll", &[AnyList, Any], strings::contains_all),
    pure("containsAny", &[AnyList, Any], strings::contains_any),
    pure("containsNone", &[AnyList, Any], strings::contains_none),
    pure("containsNotAll", &[AnyList, Any], strings::contains_not_all),
    pure("split", &[Str, Str], strings::split),
    pure("splitToMap", &[Str, Str, Str], strings::split_to_map),
    pure("join", &[Str, StrList], strings::join),
    pure("replaceAll", &[Str, Str, Str], strings::replace_all),
    pure(
        "regexReplaceAll",
        &[Str, Str, Str],
        strings::regex_replace_all,
    ),
    pure("regexMatch", &[Str, Str], strings::regex_match),
    pure("trimSpace", &[Str], strings::trim_space),
    pure("trim", &[Str, Str], strings::trim),
    pure("trimPrefix", &[Str, Str], strings::trim_prefix),
    pure("trimSuffix", &[Str, Str], strings::trim_suffix),
    pure("toLower", &[Str], strings::to_lower),
    pure("toUpper", &[Str], strings::to_upper),
    pure("toTitle", &[Str], strings::to_title),
    pure("indent", &[Int, Str], strings::indent),
    pure_var("loop", &[], Any, math::loop_),
    FuncDef {
        name: "executeTemplate",
        params: &[Str],
        variadic: Some(Any),
        imp: Imp::ExecuteTemplate,
    },
    // consul-template: encodings and conversions.
    pure("toJSON", &[Any], convert::to_json),
    pure("toJSONPretty", &[Any], convert::to_json_pretty),
    pure("toUnescapedJSON", &[Any], convert::to_unescaped_json),
    pure(
        "toUnescapedJSONPretty",
        &[Any],
        convert::to_unescaped_json_pretty,
    ),
    pure("toYAML", &[Any], convert::to_yaml),
    pure("toTOML", &[Any], convert::to_toml),
    pure("parseJSON", &[Str], convert::parse_json),
    pure("parseBool", &[Str], convert::parse_bool),
    pure("parseInt", &[Str], convert::parse_int),
    pure("parseUint", &[Str], convert::parse_uint),
    pure("parseFloat", &[Str], convert::parse_float),
    pure("base64Encode", &[Str], convert::base64_encode),
    pure("base64Decode", &[Str], convert::base64_decode),
    pure("base64URLEncode", &[Str], convert::base64_url_encode),
    pure("base64URLDecode", &[Str], convert::base64_url_decode),
    pure("sha256Hex", &[Str], convert::sha256_hex),
    pure("md5sum", &[Str], convert::md5_sum),
    pure("hmacSHA256Hex", &[Str, Str], convert::hmac_sha256_hex),
    // consul-template: arithmetic.
    pure("add", &[Any, Any], math::add),
    pure("subtract", &[Any, Any], math::subtract),
    pure("multiply", &[Any, Any], math::multiply),
    pure("divide", &[Any, Any], math::divide),
    pure("modulo", &[Any, Any], math::modulo),
    pure("minimum", &[Any, Any], math::minimum),
    pure("maximum", &[Any, Any], math::maximum),
    // consul-template functions that need Consul or Nomad, or are not offered.
    unsupported("key", NO_CONSUL),
    unsupported("keyExists", NO_CONSUL),
    unsupported("keyOrDefault", NO_CONSUL),
    unsupported("ls", NO_CONSUL),
    unsupported("safeLs", NO_CONSUL),
    unsupported("tree", NO_CONSUL),
    unsupported("safeTree", NO_CONSUL),
    unsupported("service", NO_CONSUL),
    unsupported("services", NO_CONSUL),
    unsupported("connect", NO_CONSUL),
    unsupported("node", NO_CONSUL),
    unsupported("nodes", NO_CONSUL),
    unsupported("datacenters", NO_CONSUL),
    unsupported("partitions", NO_CONSUL),
    unsupported("peerings", NO_CONSUL),
    unsupported("exportedServices", NO_CONSUL),
    unsupported("importedServices", NO_CONSUL),
    unsupported("caRoots", NO_CONSUL),
    unsupported("caLeaf", NO_CONSUL),
    unsupported("byKey", NO_CONSUL),
    unsupported("byTag", NO_CONSUL),
    unsupported("byPort", NO_CONSUL),
    unsupported("byMeta", NO_CONSUL),
    unsupported("explode", NO_CONSUL),
    unsupported("nomadService", NO_NOMAD),
    unsupported("nomadServices", NO_NOMAD),
    unsupported("nomadVar", NO_NOMAD),
    unsupported("nomadVarList", NO_NOMAD),
    unsupported("nomadVarListSafe", NO_NOMAD),
    unsupported("nomadVarExists", NO_NOMAD),
    unsupported("plugin", NOT_OFFERED),
    unsupported("writeToFile", NOT_OFFERED),
    unsupported("scratch", NOT_OFFERED),
    unsupported("sockaddr", NOT_OFFERED),
    unsupported("explodeMap", NOT_OFFERED),
    unsupported("mergeMap", NOT_OFFERED),
    unsupported("mergeMapWithOverride", NOT_OFFERED),
    unsupported("parseYAML", NOT_OFFERED),
    unsupported("spew_dump", NOT_OFFERED),
    unsupported("spew_printf", NOT_OFFERED),
    unsupported("spew_sdump", NOT_OFFERED),
    unsupported("spew_sprintf", NOT_OFFERED),
];

/// The function of that name, if there is one.
pub(crate) fn lookup(name: &str) -> Option<&'static FuncDef> {
    FUNCS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, f) in FUNCS.iter().enumerate() {
            assert!(
                FUNCS.iter().skip(i + 1).all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
            assert!(lookup(f.name).is_some());
        }
        assert!(lookup("call").is_none());
        assert!(lookup("sprig_upper").is_none());
    }
}
