// A requester's workflow through the AWS SDK for JavaScript v3 (@aws-sdk/client-mturk),
// against a running mturk-local (see tests/clients/README.md). Every test makes its own
// qualification types, HITs, tokens and workers, so the tests are independent of each
// other, of their order and of earlier runs.
//
// The SDK's paginators (createPaginator in @smithy/core) stop only when a page has no
// NextToken; they do not stop on an empty page, nor on a repeated token. The real service
// returns a NextToken with every page that has items, the last one included, and answers
// the call with that token with NumResults 0 and no NextToken; so every paginated listing
// here ends with that empty page, and each item is seen exactly once.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AcceptQualificationRequestCommand,
  ApproveAssignmentCommand,
  AssociateQualificationWithWorkerCommand,
  CreateHITTypeCommand,
  CreateHITWithHITTypeCommand,
  CreateQualificationTypeCommand,
  CreateWorkerBlockCommand,
  DeleteWorkerBlockCommand,
  DisassociateQualificationFromWorkerCommand,
  GetAccountBalanceCommand,
  GetAssignmentCommand,
  GetHITCommand,
  GetQualificationScoreCommand,
  ListAssignmentsForHITCommand,
  ListHITsCommand,
  MTurkServiceException,
  RejectAssignmentCommand,
  RequestError,
  SendBonusCommand,
  paginateListAssignmentsForHIT,
  paginateListBonusPayments,
  paginateListHITs,
  paginateListHITsForQualificationType,
  paginateListQualificationRequests,
  paginateListQualificationTypes,
  paginateListReviewableHITs,
  paginateListWorkerBlocks,
  paginateListWorkersWithQualificationType,
} from "@aws-sdk/client-mturk";

import {
  HIT_CREDENTIALS,
  LIFETIME,
  MONEY,
  QUESTION,
  allPages,
  cents,
  mturkClient,
  newToken,
  newWorkerId,
  requestQualification,
  uniqueName,
  work,
} from "../support.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const client = mturkClient();

// ------------------------------------------------------------------ helpers

async function createType(name = uniqueName("js-sdk type")) {
  const { QualificationType } = await client.send(new CreateQualificationTypeCommand({
    Name: name, Description: "made by tests/clients/js", QualificationTypeStatus: "Active",
  }));
  return QualificationType.QualificationTypeId;
}

async function createHitType(extra = {}) {
  const { HITTypeId } = await client.send(new CreateHITTypeCommand({
    Title: uniqueName("js-sdk HIT"), Description: "made by tests/clients/js", Keywords: "js, sdk",
    Reward: "0.50", AssignmentDurationInSeconds: 600, ...extra,
  }));
  return HITTypeId;
}

async function createHit(hitTypeId, maxAssignments = 1) {
  const { HIT } = await client.send(new CreateHITWithHITTypeCommand({
    HITTypeId: hitTypeId, MaxAssignments: maxAssignments, LifetimeInSeconds: LIFETIME, Question: QUESTION,
    UniqueRequestToken: newToken(),
  }));
  return HIT;
}

async function balanceCents() {
  const { AvailableBalance } = await client.send(new GetAccountBalanceCommand({}));
  assert.match(AvailableBalance, MONEY);
  return cents(AvailableBalance);
}

/**
 * Checks the pages of one paginated listing and returns the ids of its items: every page
 * but the last carries a NextToken (all different), the last is empty and carries none,
 * and no item is listed twice.
 */
function pagedIds(pages, key, idOf, pageSize) {
  assert.ok(pages.length >= 1);
  for (const page of pages) {
    assert.equal(page.NumResults, page[key].length);
    assert.ok(page[key].length <= pageSize, `a page of ${page[key].length} > ${pageSize}`);
  }
  const tokens = pages.slice(0, -1).map((page) => page.NextToken);
  assert.ok(tokens.every(Boolean), `a page before the last has no NextToken: ${JSON.stringify(tokens)}`);
  assert.equal(new Set(tokens).size, tokens.length, "a NextToken came twice");
  const last = pages.at(-1);
  assert.equal(last.NextToken, undefined);
  assert.equal(last.NumResults, 0, "the listing did not end with an empty page");
  assert.deepEqual(last[key], []);
  const ids = pages.flatMap((page) => page[key].map(idOf));
  assert.equal(new Set(ids).size, ids.length, `an item was listed twice: ${ids}`);
  return ids;
}

const sorted = (values) => [...values].sort();

// ------------------------------------------------------------------ qualifications

test("qualification types and workers holding one are paged with each item once", async () => {
  const tag = newToken();
  const types = [];
  for (let i = 0; i < 3; i++) types.push(await createType(uniqueName(`js-sdk ${tag} ${i}`)));
  const typePages = await allPages(paginateListQualificationTypes({ client, pageSize: 1 },
    { Query: tag, MustBeRequestable: true, MustBeOwnedByCaller: true }));
  assert.deepEqual(sorted(pagedIds(typePages, "QualificationTypes", (q) => q.QualificationTypeId, 1)), sorted(types));
  assert.deepEqual(typePages.map((p) => p.NumResults), [1, 1, 1, 0]);

  const qual = types[0];
  const workers = [newWorkerId(), newWorkerId(), newWorkerId()];
  for (const [i, worker] of workers.entries()) {
    await client.send(new AssociateQualificationWithWorkerCommand({
      QualificationTypeId: qual, WorkerId: worker, IntegerValue: 10 + i, SendNotification: false,
    }));
  }
  const { Qualification } = await client.send(new GetQualificationScoreCommand({
    QualificationTypeId: qual, WorkerId: workers[1],
  }));
  assert.equal(Qualification.IntegerValue, 11);
  assert.equal(Qualification.Status, "Granted");

  const holders = async () => pagedIds(
    await allPages(paginateListWorkersWithQualificationType({ client, pageSize: 2 }, { QualificationTypeId: qual })),
    "Qualifications", (q) => q.WorkerId, 2);
  assert.deepEqual(sorted(await holders()), sorted(workers));

  await client.send(new DisassociateQualificationFromWorkerCommand({
    QualificationTypeId: qual, WorkerId: workers[0], Reason: "js-sdk test",
  }));
  assert.deepEqual(sorted(await holders()), sorted(workers.slice(1)));
});

test("qualification requests are paged with each request once and can be accepted", async () => {
  const qual = await createType();
  const requests = [];
  for (let i = 0; i < 3; i++) requests.push((await requestQualification(newWorkerId(), qual)).QualificationRequestId);
  const pending = async () => pagedIds(
    await allPages(paginateListQualificationRequests({ client, pageSize: 1 }, { QualificationTypeId: qual })),
    "QualificationRequests", (r) => r.QualificationRequestId, 1);
  assert.deepEqual(sorted(await pending()), sorted(requests));
  await client.send(new AcceptQualificationRequestCommand({ QualificationRequestId: requests[0], IntegerValue: 1 }));
  assert.deepEqual(sorted(await pending()), sorted(requests.slice(1)));
});

test("worker blocks are paged with each block once", async () => {
  const workers = [newWorkerId(), newWorkerId(), newWorkerId()];
  for (const worker of workers) await client.send(new CreateWorkerBlockCommand({ WorkerId: worker, Reason: "js-sdk" }));
  try {
    const pages = await allPages(paginateListWorkerBlocks({ client, pageSize: 10 }, {}));
    const ids = pagedIds(pages, "WorkerBlocks", (b) => b.WorkerId, 10);
    for (const worker of workers) assert.ok(ids.includes(worker), worker);
  } finally {
    for (const worker of workers) await client.send(new DeleteWorkerBlockCommand({ WorkerId: worker, Reason: "done" }));
  }
});

// ------------------------------------------------------------------ HITs

test("HITs made from a HIT type are paged by ListHITs and ListHITsForQualificationType with each HIT once", async () => {
  const qual = await createType();
  const hitType = await createHitType({
    QualificationRequirements: [{ QualificationTypeId: qual, Comparator: "Exists" }],
  });
  const hits = [];
  for (let i = 0; i < 3; i++) hits.push((await createHit(hitType)).HITId);

  const all = pagedIds(await allPages(paginateListHITs({ client, pageSize: 10 }, {})), "HITs", (h) => h.HITId, 10);
  for (const hit of hits) assert.ok(all.includes(hit), hit);

  const requiring = await allPages(paginateListHITsForQualificationType({ client, pageSize: 1 },
    { QualificationTypeId: qual }));
  assert.deepEqual(sorted(pagedIds(requiring, "HITs", (h) => h.HITId, 1)), sorted(hits));
  assert.deepEqual(requiring.map((p) => p.NumResults), [1, 1, 1, 0]);

  const { HIT } = await client.send(new GetHITCommand({ HITId: hits[0] }));
  assert.equal(HIT.HITTypeId, hitType);
  assert.equal(HIT.Reward, "0.50");
  assert.ok(HIT.Expiration instanceof Date);
});

test("a page that holds every item still carries a NextToken, and the call with it answers an empty page", async () => {
  const hit = await createHit(await createHitType(), 3);
  for (let i = 0; i < 3; i++) await work(newWorkerId(), hit.HITId, { label: `answer ${i}` });
  const first = await client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId, MaxResults: 3 }));
  assert.equal(first.NumResults, 3);
  assert.ok(first.NextToken, "the last page of items has no NextToken");
  const after = await client.send(new ListAssignmentsForHITCommand({
    HITId: hit.HITId, MaxResults: 3, NextToken: first.NextToken,
  }));
  assert.equal(after.NumResults, 0);
  assert.deepEqual(after.Assignments, []);
  assert.equal(after.NextToken, undefined);
});

// ------------------------------------------------------------------ assignments, review and money

test("workers submit, the requester pages assignments, approves and rejects with an empty feedback and pays bonuses", async () => {
  const hitType = await createHitType();
  const hit = await createHit(hitType, 3);
  const workers = [newWorkerId(), newWorkerId(), newWorkerId()];
  const assignments = [];
  for (const [i, worker] of workers.entries()) assignments.push(await work(worker, hit.HITId, { label: `answer ${i}` }));

  const pages = await allPages(paginateListAssignmentsForHIT({ client, pageSize: 1 }, { HITId: hit.HITId }));
  assert.deepEqual(sorted(pagedIds(pages, "Assignments", (a) => a.AssignmentId, 1)), sorted(assignments));
  assert.deepEqual(pages.map((p) => p.NumResults), [1, 1, 1, 0]);
  for (const page of pages.slice(0, -1)) {
    const [a] = page.Assignments;
    assert.equal(a.AssignmentStatus, "Submitted");
    assert.equal(a.WorkerId, workers[assignments.indexOf(a.AssignmentId)]);
    assert.ok(a.Answer.includes(`answer ${assignments.indexOf(a.AssignmentId)}`));
  }

  const reviewable = await allPages(paginateListReviewableHITs({ client, pageSize: 1 }, { HITTypeId: hitType }));
  assert.deepEqual(pagedIds(reviewable, "HITs", (h) => h.HITId, 1), [hit.HITId]);

  const before = await balanceCents();
  await client.send(new ApproveAssignmentCommand({ AssignmentId: assignments[0], RequesterFeedback: "" }));
  await client.send(new RejectAssignmentCommand({ AssignmentId: assignments[1], RequesterFeedback: "" }));
  await client.send(new ApproveAssignmentCommand({ AssignmentId: assignments[2], RequesterFeedback: "Thanks!" }));
  assert.equal(before - (await balanceCents()), 2 * 60); // two rewards of 0.50 plus the 20% fee
  const status = async (id) => (await client.send(new GetAssignmentCommand({ AssignmentId: id }))).Assignment.AssignmentStatus;
  assert.deepEqual([await status(assignments[0]), await status(assignments[1]), await status(assignments[2])],
    ["Approved", "Rejected", "Approved"]);

  const beforeBonus = await balanceCents();
  await client.send(new SendBonusCommand({
    WorkerId: workers[0], AssignmentId: assignments[0], BonusAmount: "1.00", Reason: "", UniqueRequestToken: newToken(),
  }));
  await client.send(new SendBonusCommand({
    WorkerId: workers[2], AssignmentId: assignments[2], BonusAmount: "0.25", Reason: "well done",
    UniqueRequestToken: newToken(),
  }));
  assert.equal(beforeBonus - (await balanceCents()), 120 + 30);

  const bonusPages = await allPages(paginateListBonusPayments({ client, pageSize: 1 }, { HITId: hit.HITId }));
  assert.deepEqual(sorted(pagedIds(bonusPages, "BonusPayments", (b) => b.AssignmentId, 1)),
    sorted([assignments[0], assignments[2]]));
  const bonuses = bonusPages.flatMap((p) => p.BonusPayments).map((b) => [b.WorkerId, b.BonusAmount, b.Reason ?? ""]);
  assert.deepEqual(sorted(bonuses.map(String)), sorted([[workers[0], "1.00", ""], [workers[2], "0.25", "well done"]].map(String)));
});

test("GetAccountBalance answers the available balance as money", async () => {
  const answer = await client.send(new GetAccountBalanceCommand({}));
  assert.match(answer.AvailableBalance, MONEY);
  assert.match(answer.$metadata.requestId, UUID);
});

// ------------------------------------------------------------------ errors

test("an unknown HIT fails with the SDK's RequestError carrying the TurkErrorCode", async () => {
  const missing = "3" + "0".repeat(29);
  await assert.rejects(client.send(new GetHITCommand({ HITId: missing })), (error) => {
    assert.ok(error instanceof RequestError, `${error.name}: ${error.message}`);
    assert.ok(error instanceof MTurkServiceException);
    assert.equal(error.name, "RequestError");
    assert.equal(error.$fault, "client");
    assert.equal(error.TurkErrorCode, "AWS.MechanicalTurk.HITDoesNotExist");
    assert.ok(error.message.includes(missing), error.message);
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.$metadata.requestId, UUID);
    return true;
  });
});

test("a reused UniqueRequestToken fails with RequestError", async () => {
  const hitType = await createHitType();
  const token = newToken();
  const input = { HITTypeId: hitType, MaxAssignments: 1, LifetimeInSeconds: LIFETIME, Question: QUESTION, UniqueRequestToken: token };
  await client.send(new CreateHITWithHITTypeCommand(input));
  await assert.rejects(client.send(new CreateHITWithHITTypeCommand(input)), (error) => {
    assert.ok(error instanceof RequestError, `${error.name}: ${error.message}`);
    assert.ok(error.TurkErrorCode?.startsWith("AWS."), error.TurkErrorCode);
    return true;
  });
});

test("a wrong secret fails with InvalidSignatureException, not RequestError", async () => {
  const wrong = mturkClient({ accessKeyId: HIT_CREDENTIALS.accessKeyId, secretAccessKey: "not-the-secret" });
  await assert.rejects(wrong.send(new ListHITsCommand({ MaxResults: 1 })), (error) => {
    assert.equal(error.name, "InvalidSignatureException");
    assert.ok(!(error instanceof RequestError));
    assert.ok([400, 403].includes(error.$metadata.httpStatusCode), String(error.$metadata.httpStatusCode));
    return true;
  });
});
