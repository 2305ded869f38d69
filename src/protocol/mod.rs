//! Wire codecs. Each protocol decodes requests into domain inputs, calls
//! `ops`, and encodes outputs and errors in its own format. Requests are
//! classified here: an `X-Amz-Target` header means the JSON API (a later
//! front end); everything else on `/` and `/onca/xml` is the legacy API.

pub mod json;
pub mod legacy_xml;
