/**
 * End to end: the generated TypeScript `placeOrder` orchestrator, in Node,
 * against the generated Rust backend (three servers: no faults,
 * `payment.charge` failing, `order.create` failing), observed through the
 * generated SSE client. Run by parasol's test suite (tests/e2e.rs).
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { EventSource } from "eventsource";

import {
  ConflictError,
  type DomainEvent,
  EventStream,
  type EventSourceLike,
  OperationError,
  createClients,
  placeOrder,
  stockItemStore,
} from "../src/index.js";
import { CommandGateway, QueryGateway, ViewsApi } from "../src/cqrs.js";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
}

const servers = {
  happy: env("HAPPY_URL"),
  paymentFails: env("PAYMENT_FAILS_URL"),
  orderFails: env("ORDER_FAILS_URL"),
};

const eventSource = (url: string) => new EventSource(url) as unknown as EventSourceLike;

async function setup(baseUrl: string) {
  const clients = createClients({ baseUrl, retries: 0 });
  const productId = `product-${randomUUID()}`;
  const customerId = `customer-${randomUUID()}`;
  const stock = await clients.inventory.stockItems.create({ productId, onHand: 10, reserved: 0 });
  const events: DomainEvent[] = [];
  const stream = new EventStream({ baseUrl, eventSource, types: ["inventory.", "payment.", "order."] });
  stream.onAny((event) => events.push(event));
  stream.connect();
  const input = { customerId, lines: [{ productId, quantity: 2, unitPrice: 500 }], total: 1000, paymentMethod: "card" };
  return { clients, stock, customerId, events, stream, input };
}

/** The events of one workflow run (its correlation id), once `count` arrived. */
async function eventsOf(events: DomainEvent[], correlationId: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const mine = events.filter((event) => event.correlationId === correlationId).map((event) => event.type);
    if (mine.length >= count) return mine;
    if (Date.now() > deadline) assert.fail(`expected ${count} events for ${correlationId}, got ${JSON.stringify(mine)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("happy path: the order exists and SSE delivered reserved, processed, placed in order", async () => {
  const run = await setup(servers.happy);
  try {
    const result = await placeOrder(run.clients, run.input);
    assert.equal(result.ok, true, JSON.stringify(result));
    if (!result.ok) return;
    const order = await run.clients.order.orders.get(result.output.create_order.orderId);
    assert.equal(order.customerId, run.customerId);
    assert.equal(order.total, 1000);
    assert.equal(order.status, "pending");
    assert.equal(order.paymentId, result.output.charge_payment.paymentId);
    assert.deepEqual(await eventsOf(run.events, result.workflowId, 3), ["inventory.reserved", "payment.processed", "order.placed"]);
    const stock = await run.clients.inventory.stockItems.get(run.stock.id);
    assert.equal(stock.reserved, 2);
  } finally {
    run.stream.close();
  }
});

test("payment.charge fails: the result names charge_payment, the reservation is released, no order exists", async () => {
  const run = await setup(servers.paymentFails);
  try {
    const result = await placeOrder(run.clients, run.input);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.failedStep, "charge_payment");
    assert.ok(result.error instanceof OperationError);
    assert.equal(result.error.code, "payment_declined");
    assert.deepEqual(result.compensations, [{ step: "reserve_inventory", status: "compensated" }]);
    assert.deepEqual(await eventsOf(run.events, result.workflowId, 2), ["inventory.reserved", "inventory.released"]);
    const stock = await run.clients.inventory.stockItems.get(run.stock.id);
    assert.equal(stock.reserved, 0, "stock restored");
    const orders = await run.clients.order.orders.list();
    assert.equal(orders.filter((order) => order.customerId === run.customerId).length, 0);
  } finally {
    run.stream.close();
  }
});

test("order.create fails: the payment is refunded, then the reservation released", async () => {
  const run = await setup(servers.orderFails);
  try {
    const result = await placeOrder(run.clients, run.input);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.failedStep, "create_order");
    assert.deepEqual(
      result.compensations.map((c) => `${c.step}:${c.status}`),
      ["charge_payment:compensated", "reserve_inventory:compensated"],
    );
    assert.deepEqual(await eventsOf(run.events, result.workflowId, 4), [
      "inventory.reserved",
      "payment.processed",
      "payment.refunded",
      "inventory.released",
    ]);
    const payments = await run.clients.payment.payments.list();
    const payment = payments.find((p) => p.orderId === result.workflowId);
    assert.equal(payment?.status, "refunded");
    const stock = await run.clients.inventory.stockItems.get(run.stock.id);
    assert.equal(stock.reserved, 0);
    const orders = await run.clients.order.orders.list();
    assert.equal(orders.filter((order) => order.customerId === run.customerId).length, 0);
  } finally {
    run.stream.close();
  }
});

test("an optimistic update against a stale version is rolled back after the 409", async () => {
  const run = await setup(servers.happy);
  run.stream.close();
  const store = stockItemStore(run.clients);
  const loaded = await store.load(run.stock.id);
  // Someone else changes the item: the store now holds a stale version.
  await run.clients.inventory.stockItems.update(run.stock.id, { onHand: 20 }, loaded.version);
  const seen: (number | undefined)[] = [];
  store.subscribe((items) => seen.push(items.get(run.stock.id)?.onHand));
  await assert.rejects(store.update(run.stock.id, { onHand: 5 }), (error) => {
    assert.ok(error instanceof ConflictError);
    assert.equal(error.currentVersion, loaded.version + 1);
    return true;
  });
  assert.deepEqual(seen, [10, 5, 10]);
  assert.deepEqual(store.get(run.stock.id), loaded);
  const onServer = await run.clients.inventory.stockItems.get(run.stock.id);
  assert.equal(onServer.onHand, 20);
});

test("CQRS: a read through the query gateway right after a command sees what the command wrote", async () => {
  const run = await setup(servers.happy);
  const queries = new QueryGateway(new ViewsApi(run.clients.http), run.stream);
  const commands = new CommandGateway(run.clients, { queries });
  try {
    const { productId } = run.input.lines[0] ?? assert.fail("a line");
    const input = { customerId: run.customerId, lines: [{ productId, quantity: 1, unitPrice: 700 }], total: 700, paymentId: `payment-${randomUUID()}` };
    const { orderId } = await commands.send("order.create", input);
    // Projected from order.placed, which the read waited for.
    const summary = await queries.get("OrderSummaryView", orderId);
    assert.equal(summary.orderId, orderId);
    assert.equal(summary.customerId, run.customerId);
    assert.equal(summary.status, "placed");
    // Cached until an event it is projected from: the status change.
    assert.equal(await queries.get("OrderSummaryView", orderId), summary);
    await commands.send("order.updateStatus", { orderId, status: "confirmed" });
    const changed = await queries.get("OrderSummaryView", orderId);
    assert.notEqual(changed, summary);
    assert.equal(changed.status, "confirmed");
  } finally {
    queries.close();
    run.stream.close();
  }
});
