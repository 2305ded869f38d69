//! The files of FileUploadAnswer questions and the download addresses
//! GetFileUploadURL issues. A file is written in the same transaction as the
//! submit that carries it; an address is a random token with an expiry in
//! emulated time.

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, Writer as _};
use super::sql_store::SqlStore;
use super::StoreResult;
use crate::domain::time::Timestamp;

/// A file to keep with an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The question it answers.
    pub question_identifier: String,
    /// The `UploadedFileKey` of the answer.
    pub file_key: String,
    /// The name the worker gave it.
    pub file_name: String,
    /// Its size.
    pub size_bytes: i64,
    /// Its bytes, base64-encoded.
    pub content_base64: String,
}

/// A file found by a download token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The name the worker gave it.
    pub file_name: String,
    /// Its bytes, base64-encoded.
    pub content_base64: String,
}

/// Files and their download addresses.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Accepted → Submitted (as [`super::hits::AssignmentStore::submit`]) and
    /// the files kept, in one transaction; false (nothing written) when the
    /// assignment was no longer in progress.
    async fn submit_with_files(
        &self,
        id: &str,
        answer: &str,
        now: Timestamp,
        auto_approval_time: Timestamp,
        files: &[StoredFile],
    ) -> StoreResult<bool>;

    /// Records a download token for the file answering `question` in
    /// `assignment`, valid until `expires`; false (nothing written) when
    /// there is no such file.
    async fn issue_download(
        &self,
        token: &str,
        assignment: &str,
        question: &str,
        expires: Timestamp,
    ) -> StoreResult<bool>;

    /// The file behind a token that has not expired at `now`.
    async fn download(&self, token: &str, now: Timestamp) -> StoreResult<Option<Download>>;
}

#[async_trait]
impl<B: Backend> FileStore for SqlStore<B> {
    async fn submit_with_files(
        &self,
        id: &str,
        answer: &str,
        now: Timestamp,
        auto: Timestamp,
        files: &[StoredFile],
    ) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE assignments SET status = 'Submitted', answer = $2, submit_time = $3, \
                 auto_approval_time = $4 WHERE id = $1 AND status = 'Accepted' AND deadline >= $3",
                args![id, answer, now.millis(), auto.millis()],
            )
            .await?;
        if done != 1 {
            return Ok(false);
        }
        for f in files {
            tx.execute(
                "INSERT INTO assignment_files (assignment_id, question_identifier, file_key, file_name, size_bytes, \
                 content_base64) VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    id,
                    f.question_identifier.as_str(),
                    f.file_key.as_str(),
                    f.file_name.as_str(),
                    f.size_bytes,
                    f.content_base64.as_str()
                ],
            )
            .await?;
        }
        let emitted = super::hit_sql::worker_done::<B>(
            &mut tx,
            crate::domain::notification::EventType::AssignmentSubmitted,
            id,
            now,
        )
        .await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(true)
    }

    async fn issue_download(
        &self,
        token: &str,
        assignment: &str,
        question: &str,
        expires: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let inserted = tx
            .execute(
                "INSERT INTO file_download_urls (token, assignment_id, question_identifier, expires_at) \
                 SELECT $1, assignment_id, question_identifier, $4 FROM assignment_files \
                 WHERE assignment_id = $2 AND question_identifier = $3",
                args![token, assignment, question, expires.millis()],
            )
            .await?;
        if inserted != 1 {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn download(&self, token: &str, now: Timestamp) -> StoreResult<Option<Download>> {
        let row: Option<(String, String, String, String)> = self
            .db
            .reader()
            .await?
            .fetch_optional(
                "SELECT f.file_name, f.content_base64, u.token, u.assignment_id FROM file_download_urls u JOIN assignment_files f \
                 ON f.assignment_id = u.assignment_id AND f.question_identifier = u.question_identifier \
                 WHERE u.token = $1 AND u.expires_at > $2",
                args![token, now.millis()],
            )
            .await?;
        Ok(row.map(|(file_name, content_base64, _, _)| Download { file_name, content_base64 }))
    }
}
