// The npm package mturk-api 3.0.2 (node-soap 0.16 over Amazon's 2014-08-15 WSDL, which the
// package ships) running a requester's workflow against mturk-local's SOAP face: balance, a
// qualification type, assign, revoke, a HIT with a QuestionForm, a worker's submission
// through /_local, its answer read back, approve, bonus. What it does over SOAP is checked
// through the JSON API too (@aws-sdk/client-mturk), on the same store.
//
// mturk-api has no endpoint setting: it calls the production or sandbox address
// (`config.sandbox`) through node-soap's Client#setEndpoint. Pointing it at mturk-local
// means overriding that one method of the node-soap it uses (docs/soap.md), which is what
// an application does too.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { test } from "node:test";

import { GetHITCommand, ListWorkersWithQualificationTypeCommand } from "@aws-sdk/client-mturk";

import { ENDPOINT, HIT_CREDENTIALS, QUESTION, mturkClient, newWorkerId, uniqueName, work } from "../support.js";

const require = createRequire(import.meta.url);
// The node-soap that mturk-api requires (package.json pins the version it resolves to, so
// npm installs one copy).
const soap = require("soap");
const setEndpoint = soap.Client.prototype.setEndpoint;
const SOAP_ENDPOINT = `${ENDPOINT}/onca/soap?Service=AWSMechanicalTurkRequester`;
const seen = [];
soap.Client.prototype.setEndpoint = function (endpoint) {
  seen.push(endpoint);
  return setEndpoint.call(this, SOAP_ENDPOINT);
};
const mturk = require("mturk-api");

function escapeXml(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

async function connect() {
  const api = await mturk.createClient({
    access: HIT_CREDENTIALS.accessKeyId,
    secret: HIT_CREDENTIALS.secretAccessKey,
    sandbox: true,
  });
  assert.deepEqual(seen.at(-1), "https://mechanicalturk.sandbox.amazonaws.com/");
  return api;
}

test("mturk-api runs a requester's workflow over SOAP", async () => {
  const api = await connect();
  const json = mturkClient();

  const balance = await api.req("GetAccountBalance");
  const available = balance.GetAccountBalanceResult[0].AvailableBalance;
  assert.equal(available.CurrencyCode, "USD");
  assert.ok(Number(available.Amount) >= 0, available.Amount);

  // A qualification type, assigned to a worker and revoked again (the seed operation).
  const created = await api.req("CreateQualificationType", {
    Name: uniqueName("mturk-api"),
    Description: "made by mturk-api over SOAP",
    QualificationTypeStatus: "Active",
  });
  const typeId = created.QualificationType[0].QualificationTypeId;
  assert.match(typeId, /^[0-9A-Z]{30}$/);
  const worker = newWorkerId();
  await api.req("AssignQualification", {
    QualificationTypeId: typeId, WorkerId: worker, IntegerValue: 80, SendNotification: false,
  });
  const score = await api.req("GetQualificationScore", { QualificationTypeId: typeId, SubjectId: worker });
  // node-soap types values by mturk-api's WSDL: IntegerValue is an xs:int.
  assert.equal(score.Qualification[0].IntegerValue, 80);
  await api.req("RevokeQualification", { SubjectId: worker, QualificationTypeId: typeId, Reason: "no longer needed" });
  const revoked = await json.send(
    new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: typeId, Status: "Revoked" }),
  );
  assert.deepEqual(revoked.Qualifications.map((q) => q.WorkerId), [worker]);

  // A HIT with a QuestionForm (mturk-api sends the Question as given: the caller escapes it).
  const hit = await api.req("CreateHIT", {
    Title: uniqueName("mturk-api HIT"),
    Description: "label a picture",
    Keywords: "mturk-api, soap",
    Question: escapeXml(QUESTION),
    AssignmentDurationInSeconds: 600,
    AutoApprovalDelayInSeconds: 86400,
    MaxAssignments: 1,
    LifetimeInSeconds: 900,
    Reward: { Amount: 0.25, CurrencyCode: "USD" },
  });
  const hitId = hit.HIT[0].HITId;
  const seenByJson = await json.send(new GetHITCommand({ HITId: hitId }));
  assert.equal(seenByJson.HIT.Question, QUESTION);
  assert.equal(seenByJson.HIT.Reward, "0.25");

  // A worker's submission, read back, approved, and a bonus.
  const assignmentId = await work(newWorkerId(), hitId, { label: "a lighthouse" });
  const assignments = await api.req("GetAssignmentsForHIT", { HITId: hitId, AssignmentStatus: ["Submitted"] });
  const listed = assignments.GetAssignmentsForHITResult[0];
  assert.equal(listed.NumResults, 1);
  assert.equal(listed.Assignment[0].AssignmentId, assignmentId);
  assert.match(listed.Assignment[0].Answer, /<FreeText>a lighthouse<\/FreeText>/);
  const workerId = listed.Assignment[0].WorkerId;
  await api.req("ApproveAssignment", { AssignmentId: assignmentId, RequesterFeedback: "thank you" });
  await api.req("GrantBonus", {
    WorkerId: workerId, AssignmentId: assignmentId, BonusAmount: { Amount: 0.1, CurrencyCode: "USD" },
    Reason: "a clear label",
  });
  const bonuses = await api.req("GetBonusPayments", { AssignmentId: assignmentId });
  const payment = bonuses.GetBonusPaymentsResult[0].BonusPayment[0];
  assert.equal(payment.WorkerId, workerId);
  assert.equal(Number(payment.BonusAmount.Amount), 0.1);
  const approved = await api.req("GetAssignment", { AssignmentId: assignmentId });
  assert.equal(approved.GetAssignmentResult[0].Assignment.AssignmentStatus, "Approved");
});

test("mturk-api reports a request error and an authentication failure with their messages", async () => {
  const api = await connect();
  await assert.rejects(api.req("GetHIT", { HITId: "3NOSUCHHIT00000000000000000000" }), /does not exist/);
  const stranger = await mturk.createClient({ access: "AKIANOBODYKNOWSTHIS1", secret: "x", sandbox: true });
  await assert.rejects(stranger.req("GetAccountBalance"), /not authorized/);
});

test("node-soap builds a client from mturk-local's own WSDL and batches two requests", async () => {
  const client = await new Promise((resolve, reject) =>
    soap.createClient(`${ENDPOINT}/onca/soap?wsdl`, (err, c) => (err ? reject(err) : resolve(c))));
  const operation = "CreateQualificationType";
  const timestamp = new Date().toISOString();
  const signature = createHmac("sha1", HIT_CREDENTIALS.secretAccessKey)
    .update(`AWSMechanicalTurkRequester${operation}${timestamp}`)
    .digest("base64");
  const names = [uniqueName("from the WSDL"), uniqueName("from the WSDL")];
  const answer = await new Promise((resolve, reject) =>
    client[operation](
      {
        AWSAccessKeyId: HIT_CREDENTIALS.accessKeyId,
        Timestamp: timestamp,
        Signature: signature,
        Request: names.map((Name) => ({ Name, Description: "batched", QualificationTypeStatus: "Active" })),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ));
  // The call went to the WSDL's soap:address, on this server.
  assert.equal(client.lastEndpoint, SOAP_ENDPOINT);
  assert.deepEqual(answer.QualificationType.map((t) => [t.Request.IsValid, t.Name]), names.map((n) => ["True", n]));
});
