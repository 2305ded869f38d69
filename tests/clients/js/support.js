// Helpers of the AWS SDK for JavaScript v3 client tests (tests/clients/js).
//
// Where the server is and which requester to use comes from the same
// environment variables as the Python suites (tests/clients/mturk_local_testing.py):
// MTURK_LOCAL_ENDPOINT, MTURK_LOCAL_HIT_KEY / MTURK_LOCAL_HIT_SECRET (the
// requester who pays for approvals and bonuses; run.sh configures it).
//
// Workers are played through the server's /_local control plane with Node's
// built-in fetch, as the Python helpers do with urllib.

import { randomUUID, randomInt } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { MTurkClient } from "@aws-sdk/client-mturk";

// The SDK reads ~/.aws/config and AWS_* variables for some settings (retry
// mode, max attempts, FIPS/dual-stack endpoints, ...). Point it at empty files
// and drop the variables before any client exists, so that a developer's
// profile cannot change what the tests send (as modern/conftest.py does for botocore).
const awsFolder = mkdtempSync(join(tmpdir(), "mturk-local-js-aws-"));
writeFileSync(join(awsFolder, "config"), "");
writeFileSync(join(awsFolder, "credentials"), "");
for (const name of Object.keys(process.env)) {
  if (name.startsWith("AWS_")) delete process.env[name];
}
process.env.AWS_CONFIG_FILE = join(awsFolder, "config");
process.env.AWS_SHARED_CREDENTIALS_FILE = join(awsFolder, "credentials");
process.env.AWS_EC2_METADATA_DISABLED = "true";

export const ENDPOINT = (process.env.MTURK_LOCAL_ENDPOINT ?? "http://127.0.0.1:8099").replace(/\/+$/, "");
export const HIT_CREDENTIALS = {
  accessKeyId: process.env.MTURK_LOCAL_HIT_KEY ?? "AKIAMTURKLOCALHITS01",
  secretAccessKey: process.env.MTURK_LOCAL_HIT_SECRET ?? "hit-secret",
};

export const LIFETIME = 900; // every HIT lives 15 minutes, as in the Python suites
export const MONEY = /^[0-9]+\.[0-9]{2}$/;
export const QUESTION =
  '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/' +
  'QuestionForm.xsd"><Question><QuestionIdentifier>label</QuestionIdentifier><QuestionContent><Text>' +
  "What is in the picture?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/>" +
  "</AnswerSpecification></Question></QuestionForm>";

/** A client as an application pointed at mturk-local makes it: endpoint, region, keys, one attempt. */
export function mturkClient(credentials = HIT_CREDENTIALS) {
  return new MTurkClient({ endpoint: ENDPOINT, region: "us-east-1", credentials, maxAttempts: 1 });
}

export function uniqueName(prefix = "js-sdk") {
  return `${prefix} ${randomUUID()}`;
}

export function newToken() {
  return randomUUID().replaceAll("-", "");
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A fresh worker id in MTurk's shape: "A" and 13 of [0-9A-Z]. */
export function newWorkerId() {
  let id = "A";
  for (let i = 0; i < 13; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export function cents(amount) {
  const [whole, frac = ""] = amount.split(".");
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
}

/** Every page of an SDK paginator, collected. */
export async function allPages(paginator) {
  const pages = [];
  for await (const page of paginator) {
    pages.push(page);
    if (pages.length > 500) throw new Error("the paginator did not end after 500 pages");
  }
  return pages;
}

/** A /_local call that must succeed; returns the decoded JSON answer. */
export async function control(method, path, body) {
  const response = await fetch(`${ENDPOINT}/_local${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${method} /_local${path} ${JSON.stringify(body)} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

const ANSWERS_NS =
  "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd";

function escapeXml(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function answerDocument(answers) {
  const body = Object.entries(answers)
    .map(([id, text]) => `<Answer><QuestionIdentifier>${escapeXml(id)}</QuestionIdentifier>` +
      `<FreeText>${escapeXml(text)}</FreeText></Answer>`)
    .join("");
  return `<QuestionFormAnswers xmlns="${ANSWERS_NS}">${body}</QuestionFormAnswers>`;
}

/** The worker accepts the HIT and submits the answers; returns the AssignmentId. */
export async function work(workerId, hitId, answers) {
  const { AssignmentId } = await control("POST", `/workers/${workerId}/assignments`, { HITId: hitId });
  await control("POST", `/assignments/${AssignmentId}/submit`, { Answer: answerDocument(answers) });
  return AssignmentId;
}

export async function requestQualification(workerId, qualificationTypeId) {
  return control("POST", `/workers/${workerId}/qualification-requests`, { QualificationTypeId: qualificationTypeId });
}
