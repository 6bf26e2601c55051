use crate::pipeline::Caller;
use tresor_sdk::Response;

pub fn lookup_self(caller: &Caller) -> Response {
    Response::data(caller.entry.lookup_data(&caller.token))
}
