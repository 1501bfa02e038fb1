/**
 * End to end, example `ledger` (`cqrs-es`): the generated TypeScript clients
 * against the generated Rust backend. Every write to a record, through CRUD
 * or through an operation, comes back from the record's event stream in
 * order, with the record's state after it; the stream outlives the record.
 * Run by tests/e2e.rs (`LAST_STEP_FAILS_URL` is not used here).
 */

import assert from "node:assert/strict";
import { test } from "node:test";

import { NotFoundError, createClients } from "../src/index.js";

const baseUrl = process.env["HAPPY_URL"];
if (baseUrl === undefined) throw new Error("set HAPPY_URL");

test("CRUD writes are the record's stream, which outlives it", async () => {
  const accounts = createClients({ baseUrl, retries: 0 }).accounts.accounts;
  const created = await accounts.create({ owner: "ada", balance: 10, status: "open" });
  const updated = await accounts.update(created.id, { balance: 20 }, created.version);
  await accounts.remove(updated.id, updated.version);
  await assert.rejects(accounts.get(created.id), NotFoundError);

  const stream = await accounts.history(created.id);
  assert.deepEqual(
    stream.map((event) => [event.kind, event.version]),
    [
      ["created", 1],
      ["updated", 2],
      ["deleted", 3],
    ],
  );
  assert.equal(stream[1]?.state.balance, 20);
  assert.equal(stream[2]?.state.owner, "ada");
  await assert.rejects(accounts.history("nobody"), NotFoundError);
});

test("an operation's writes are in the stream too", async () => {
  const clients = createClients({ baseUrl, retries: 0 });
  const { accountId } = await clients.accounts.openAccount({ owner: "bob" });
  const { balance } = await clients.accounts.deposit({ accountId, amount: 5 });
  const stream = await clients.accounts.accounts.history(accountId);
  assert.deepEqual(
    stream.map((event) => event.kind),
    ["created", "updated"],
  );
  assert.equal(stream[0]?.state.owner, "bob");
  assert.equal(stream[1]?.state.balance, balance);
  assert.deepEqual(await clients.accounts.accounts.get(accountId), { ...stream[1]?.state, version: 2 });
});
