-- File-upload answers and what the requester statistics need (sqlite flavour;
-- keep in step with the other flavour's 0011_file_answers.sql).

-- When a worker returned an assignment (NumberAssignmentsReturned is dated by it).
ALTER TABLE assignments ADD COLUMN return_time BIGINT;

-- The files of FileUploadAnswer questions, written in the submit's transaction.
-- The bytes are kept as base64 text: every column of the store is TEXT or BIGINT.
CREATE TABLE assignment_files (
    assignment_id       TEXT NOT NULL REFERENCES assignments (id),
    question_identifier TEXT NOT NULL,
    file_key            TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    size_bytes          BIGINT NOT NULL,
    content_base64      TEXT NOT NULL,
    PRIMARY KEY (assignment_id, question_identifier)
);

-- GetFileUploadURL's download addresses: the token is the capability.
CREATE TABLE file_download_urls (
    token               TEXT PRIMARY KEY,
    assignment_id       TEXT NOT NULL,
    question_identifier TEXT NOT NULL,
    expires_at          BIGINT NOT NULL
);
