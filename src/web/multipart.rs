//! `multipart/form-data` bodies (RFC 7578), as a browser posts a form with
//! a file input: the worker's QuestionForm with a `FileUploadAnswer`. The
//! guard reads the form token from such a body, and the submit handler its
//! fields and files. Only what browsers send is read: one boundary, parts
//! with a `Content-Disposition: form-data; name=…[; filename=…]` header; a
//! body of another shape is refused with the reason.

/// One part of the body: a field, or a file when it has a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The field's name.
    pub name: String,
    /// The file's name, for a file input (empty when no file was chosen).
    pub filename: Option<String>,
    /// The value, or the file's bytes.
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type; `None` for any
/// other content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// The parameter `name` of a `Content-Disposition` value, unquoted.
fn param(disposition: &str, name: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        Some(v.replace("\\\"", "\""))
    })
}

/// The parts of `body`, a `multipart/form-data` body with `boundary`.
///
/// # Errors
/// A sentence saying what is wrong with the body.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err("The form's multipart boundary is missing or longer than 70 characters.".to_owned());
    }
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let malformed = |what: &str| format!("The form's multipart body is malformed: {what}.");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or_else(|| malformed("no boundary"))? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        if !rest.starts_with(b"\r\n") {
            return Err(malformed("a boundary is not followed by a line break"));
        }
        let head_start = at + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(|| malformed("a part has no end of headers"))?;
        let head = std::str::from_utf8(&body[head_start..head_end])
            .map_err(|_| malformed("a part's headers are not UTF-8"))?;
        let disposition = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, v)| v.trim())
            .ok_or_else(|| malformed("a part has no Content-Disposition"))?;
        if !disposition.split(';').next().is_some_and(|d| d.trim().eq_ignore_ascii_case("form-data")) {
            return Err(malformed("a part is not form-data"));
        }
        let name = param(disposition, "name").ok_or_else(|| malformed("a part has no name"))?;
        let filename = param(disposition, "filename");
        let data_start = head_end + 4;
        let data_end = find(body, next_delimiter.as_bytes(), data_start)
            .ok_or_else(|| malformed("a part does not end with the boundary"))?;
        parts.push(Part { name, filename, data: body[data_start..data_end].to_vec() });
        at = data_end + next_delimiter.len();
    }
}

/// The text fields of `parts` (files left out), as a form's pairs.
pub(crate) fn fields(parts: &[Part]) -> Vec<(String, String)> {
    parts
        .iter()
        .filter(|p| p.filename.is_none())
        .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browsers_body_gives_its_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"f.photo\"; filename=\"a \\\"b\\\".png\"\r\n\
            Content-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(fields(&parts), vec![("csrf".to_owned(), "abc".to_owned())]);
        assert_eq!(parts[1].name, "f.photo");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n--X");
        assert_eq!(boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(), Some("XyZ"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
    }

    #[test]
    fn a_malformed_body_is_refused_with_the_reason() {
        for (body, why) in [
            (&b"no boundary here"[..], "no boundary"),
            (b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "does not end"),
            (b"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", "no Content-Disposition"),
            (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "no name"),
        ] {
            let err = parse(body, "XyZ").unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
