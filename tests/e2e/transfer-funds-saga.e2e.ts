/**
 * End to end, example `ledger`: `TransferFunds` is coordinated by
 * `orchestration`, so the generated TypeScript `transferFunds` starts runs
 * of the generated backend saga (`setup orchestration --location backend`)
 * and follows them; the saga calls the generated service. Two pairs of
 * servers: no faults, and `accounts.withdraw` failing (the `debit` step).
 * Checks the balances the steps leave, that a run started again with its
 * id is the same run (no second transfer), that a guard stops the run, and
 * that a failed step is compensated in the service, and that through the
 * gateway the saga calls its steps as the caller who started the run.
 * Run by tests/e2e.rs.
 */

import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { test } from "node:test";

import { SagaStepError, createClients, transferFunds } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
}

const happy = { service: env("HAPPY_URL"), saga: env("HAPPY_SAGA_URL") };
const debitFails = { service: env("DEBIT_FAILS_URL"), saga: env("DEBIT_FAILS_SAGA_URL") };
const gateway = { url: env("GATEWAY_URL"), secret: env("GATEWAY_JWT_SECRET") };

/** An HS256 token for `subject`, as the gateway's issuer would sign it. */
function token(subject: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: subject, exp: Math.floor(Date.now() / 1000) + 300 })}`;
  return `${body}.${createHmac("sha256", gateway.secret).update(body).digest("base64url")}`;
}

async function accounts(service: string) {
  const clients = createClients({ baseUrl: service, retries: 0 });
  const from = await clients.accounts.openAccount({ owner: "ada" });
  const to = await clients.accounts.openAccount({ owner: "bob" });
  await clients.accounts.deposit({ accountId: from.accountId, amount: 100 });
  const balance = async (accountId: string) => (await clients.accounts.accounts.get(accountId)).balance;
  return { clients, from: from.accountId, to: to.accountId, balance };
}

test("the saga moves the money; the same workflow id is the same run", async () => {
  const { clients, from, to, balance } = await accounts(happy.service);
  const workflowId = randomUUID();
  const options = { saga: { baseUrl: happy.saga, retries: 0 }, workflowId, pollIntervalMs: 20 };
  let notified = 0;
  const result = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 30 }, {
    ...options,
    onSuccess: () => notified++,
  });
  assert.equal(result.ok, true, JSON.stringify(result));
  if (!result.ok) return;
  assert.equal(result.workflowId, workflowId);
  assert.deepEqual(result.completed, ["source_open", "target_open", "record", "debit", "credit"]);
  assert.equal(result.output.debit.balance, 70);
  assert.equal(result.output.credit.balance, 30);
  assert.equal(notified, 1);
  assert.equal(await balance(from), 70);
  assert.equal(await balance(to), 30);
  const transfer = await clients.transfers.transfers.get(result.output.record.transferId);
  assert.equal(transfer.amount, 30);

  // Started again with its id: the saga answers with the finished run.
  const again = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 30 }, options);
  assert.deepEqual(again, result);
  assert.equal(await balance(from), 70, "no second debit");
  assert.equal(await balance(to), 30, "no second credit");
});

test("a guard stops the run before anything is written", async () => {
  const { clients, from, balance } = await accounts(happy.service);
  const nobody = randomUUID();
  const result = await transferFunds(clients, { fromAccount: from, toAccount: nobody, amount: 10 }, {
    saga: { baseUrl: happy.saga, retries: 0 },
    pollIntervalMs: 20,
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "target_open");
  assert.ok(result.error instanceof SagaStepError);
  // The call answered (`open: false`); its guard failed the step, as at the edge.
  assert.deepEqual(result.completed, ["source_open", "target_open"]);
  assert.deepEqual(result.compensations, []);
  assert.equal(await balance(from), 100);
});

test("the debit fails: the recorded transfer is marked failed, the balances stay", async () => {
  const { clients, from, to, balance } = await accounts(debitFails.service);
  const result = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 30 }, {
    saga: { baseUrl: debitFails.saga, retries: 0 },
    pollIntervalMs: 20,
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "debit");
  assert.deepEqual(result.completed, ["source_open", "target_open", "record"]);
  assert.deepEqual(result.compensations, [{ step: "record", status: "compensated" }]);
  assert.equal(result.compensationFailed, false);
  assert.equal(await balance(from), 100);
  assert.equal(await balance(to), 0);
  const transfers = (await clients.transfers.transfers.list()).filter((t) => t.fromAccount === from);
  assert.equal(transfers.length, 1);
  assert.equal(transfers[0]?.status, "failed");
});

test("a saga running its steps in the service answers its health check", async () => {
  // What the service mesh's probes ask (`livenessProbe`, `readinessProbe`).
  const response = await fetch(`${happy.saga}/health`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "ok");
});

test("a saga nobody runs is a failure of the saga, not a throw", async () => {
  const { clients, from, to } = await accounts(happy.service);
  const result = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 1 }, {
    saga: { baseUrl: "http://127.0.0.1:9", retries: 0, connectTimeoutMs: 500 },
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "(saga)");
  assert.match(result.reason, /127\.0\.0\.1:9/);
});

test("through the gateway: the service and the saga behind one entry point, and one token", async () => {
  const headers = { authorization: `Bearer ${token("ada")}` };
  const { from, to, balance } = await accounts(happy.service);
  const clients = createClients({ baseUrl: gateway.url, retries: 0, headers });
  const refused = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 5 }, {
    saga: { baseUrl: gateway.url, retries: 0 },
  });
  assert.equal(refused.ok, false);
  if (refused.ok) return;
  assert.equal(refused.failedStep, "(saga)");
  assert.match(refused.reason, /401|token|unauthori/i);
  assert.equal(await balance(from), 100, "a refused start runs nothing");

  const result = await transferFunds(clients, { fromAccount: from, toAccount: to, amount: 5 }, {
    saga: { baseUrl: gateway.url, retries: 0, headers },
    pollIntervalMs: 20,
  });
  assert.equal(result.ok, true, JSON.stringify(result));
  if (!result.ok) return;
  assert.equal((await clients.accounts.accounts.get(from)).balance, 95);
  assert.equal(await balance(to), 5);
  // The saga called its steps as the caller the gateway named, not as itself.
  const transfer = await clients.transfers.transfers.get(result.output.record.transferId);
  assert.equal(transfer.createdBy, "ada");
  assert.equal((await clients.accounts.accounts.get(from)).updatedBy, "ada");

  // A run is its caller's: another user neither lists nor fetches ada's.
  const runs = `${gateway.url}/api/sagas/transfer-funds`;
  const as = (user: string) => ({ headers: { authorization: `Bearer ${token(user)}` } });
  const listed = async (user: string) => {
    const answer = await fetch(runs, as(user));
    assert.equal(answer.status, 200);
    return (await answer.json()) as { id: string; onBehalfOf?: string }[];
  };
  const adas = await listed("ada");
  assert.ok(adas.some((run) => run.id === result.workflowId), JSON.stringify(adas));
  assert.ok(adas.every((run) => run.onBehalfOf === "ada"), JSON.stringify(adas));
  assert.deepEqual(await listed("bob"), []);
  assert.equal((await fetch(`${runs}/${result.workflowId}`, as("bob"))).status, 404);
  assert.equal((await fetch(`${runs}/${result.workflowId}`, as("ada"))).status, 200);
});
