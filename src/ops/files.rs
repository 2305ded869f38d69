//! GetFileUploadURL and the downloads it allows: a file a worker uploaded
//! for a FileUploadAnswer question is read through a short-lived address on
//! this server (`/_files/{token}`), issued only to the HIT's owner and valid
//! for 60 seconds of emulated time (the 2014-08-15 reference: "valid for 60
//! seconds"). The token is the capability: 48 random alphanumerics.

use base64::Engine as _;

use crate::domain::ids::AssignmentId;
use crate::domain::time::Timestamp;
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::Store;

use super::{internal, Ctx};

/// How long an address stays valid, in seconds of emulated time.
pub const URL_LIFETIME_SECS: i64 = 60;

/// Input of GetFileUploadURL.
#[derive(Debug, Clone)]
pub struct FileUrlRequest {
    /// The assignment.
    pub assignment_id: AssignmentId,
    /// The FileUploadAnswer question.
    pub question_id: String,
}

/// An issued download address: the token of `/_files/{token}` and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUrl {
    /// The token.
    pub token: String,
    /// When it stops working.
    pub expires: Timestamp,
}

impl FileUrl {
    /// The address on the server at `origin` (`http://host:port`).
    #[must_use]
    pub fn url(&self, origin: &str) -> String {
        format!("{origin}/_files/{}", self.token)
    }
}

fn no_file(assignment: &str, question: &str) -> MturkError {
    mturk_error!(InvalidParameterValue, "Assignment {assignment} has no uploaded file for question {question}.")
        .with_data("QuestionIdentifier", question)
}

/// GetFileUploadURL: an address that downloads the file answering
/// `question_id` in the assignment, for 60 seconds.
///
/// # Errors
/// `AssignmentDoesNotExist` (also for work not yet submitted),
/// `PermissionDenied` for another requester's assignment,
/// `InvalidParameterValue` when the question has no uploaded file or the
/// HIT was deleted (the real service deleted files with their HIT).
pub async fn upload_url(ctx: &Ctx, request: FileUrlRequest) -> Result<FileUrl> {
    let FileUrlRequest { assignment_id, question_id } = request;
    let (a, hit) = super::assignments::settled_assignment(ctx, assignment_id.as_str()).await?;
    if hit.disposed {
        return Err(no_file(&a.id, &question_id));
    }
    let token = ctx.ids.alphanumeric(48);
    let expires = super::later(ctx.now, URL_LIFETIME_SECS, "address's expiry")?;
    if ctx.store.issue_download(&token, &a.id, &question_id, expires).await.map_err(internal)? {
        Ok(FileUrl { token, expires })
    } else {
        Err(no_file(&a.id, &question_id))
    }
}

/// A downloaded file: its name and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDownload {
    /// The name the worker gave it.
    pub name: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// The file behind `token` at `now`; `None` when the token is unknown or expired.
///
/// # Errors
/// Store failures, and stored bytes that do not decode.
pub async fn download(store: &dyn Store, token: &str, now: Timestamp) -> Result<Option<FileDownload>> {
    let Some(found) = store.download(token, now).await.map_err(internal)? else { return Ok(None) };
    let content = base64::engine::general_purpose::STANDARD
        .decode(found.content_base64.as_bytes())
        .map_err(|e| MturkError::internal(anyhow::anyhow!("a stored file does not decode: {e}")))?;
    Ok(Some(FileDownload { name: found.file_name, content }))
}
