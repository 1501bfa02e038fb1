/**
 * End to end through the generated API gateway: the generated TypeScript
 * clients and `placeOrder` orchestrator, in Node, call the gateway binary
 * with a JSON Web Token; the gateway forwards to the service, which acts
 * as the token's subject; the SSE stream comes through the gateway with
 * the token in the query. A second gateway, limited to 3 calls a minute,
 * answers the fourth 429. Each frontend's views come from the generated
 * backend for frontends behind the gateway. Run by parasol's test suite (tests/e2e.rs).
 */

import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { test } from "node:test";

import { EventSource } from "eventsource";

import { createBffClient } from "../src/bff.js";
import { ApiError, type DomainEvent, EventStream, type EventSourceLike, createClients, placeOrder } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
}

const gateway = env("GATEWAY_URL");
const limited = env("LIMITED_GATEWAY_URL");
const secret = env("GATEWAY_JWT_SECRET");

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** An HS256 token for `subject`, valid for `seconds`. */
function token(subject: string, seconds = 300, key = secret): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = base64url(JSON.stringify({ sub: subject, exp: Math.floor(Date.now() / 1000) + seconds }));
  const signature = createHmac("sha256", key).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}

const eventSource = (url: string) => new EventSource(url) as unknown as EventSourceLike;

function clientsAs(baseUrl: string, subject: string | undefined) {
  return createClients({
    baseUrl,
    retries: 0,
    circuitBreaker: false,
    headers: (): Record<string, string> => (subject === undefined ? {} : { authorization: `Bearer ${token(subject)}` }),
  });
}

async function rejection(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail("the call succeeded");
}

test("the frontend's workflow runs through the gateway as the token's subject", async () => {
  const clients = clientsAs(gateway, "alice");
  const events: DomainEvent[] = [];
  const stream = new EventStream({ baseUrl: gateway, eventSource, accessToken: () => token("alice"), types: ["inventory.", "payment.", "order."] });
  stream.onAny((event) => events.push(event));
  stream.connect();
  try {
    const productId = `product-${randomUUID()}`;
    const stock = await clients.inventory.stockItems.create({ productId, onHand: 10, reserved: 0 });
    assert.equal(stock.createdBy, "alice");
    const input = { customerId: `customer-${randomUUID()}`, lines: [{ productId, quantity: 2, unitPrice: 500 }], total: 1000, paymentMethod: "card" };
    const result = await placeOrder(clients, input);
    assert.equal(result.ok, true, JSON.stringify(result));
    if (!result.ok) return;
    const order = await clients.order.orders.get(result.output.create_order.orderId);
    assert.equal(order.createdBy, "alice");
    const deadline = Date.now() + 5_000;
    for (;;) {
      const mine = events.filter((event) => event.correlationId === result.workflowId);
      if (mine.length >= 3) {
        assert.deepEqual(
          mine.map((event) => event.type),
          ["inventory.reserved", "payment.processed", "order.placed"],
        );
        assert.ok(mine.every((event) => event.triggeredBy === "alice"));
        break;
      }
      if (Date.now() > deadline) assert.fail(`events through the gateway: ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    stream.close();
  }
});

test("without a valid token the gateway answers 401, and nothing is written", async () => {
  const productId = `product-${randomUUID()}`;
  const anonymous = clientsAs(gateway, undefined);
  const refused = await rejection(anonymous.inventory.stockItems.create({ productId, onHand: 1, reserved: 0 }));
  assert.equal(refused.status, 401);
  assert.equal(refused.code, "unauthorized");
  const forged = createClients({
    baseUrl: gateway,
    retries: 0,
    circuitBreaker: false,
    headers: { authorization: `Bearer ${token("alice", 300, "not the gateway's secret, 32+ bytes")}` },
  });
  assert.equal((await rejection(forged.inventory.stockItems.list())).status, 401);
  const stock = await clientsAs(gateway, "alice").inventory.stockItems.list();
  assert.ok(stock.every((item) => item.productId !== productId));
});

test("a caller over the gateway's rate is answered 429", async () => {
  const clients = clientsAs(limited, `carol-${randomUUID()}`);
  for (let n = 0; n < 3; n++) await clients.inventory.stockItems.list();
  const refused = await rejection(clients.inventory.stockItems.list());
  assert.equal(refused.status, 429);
  assert.equal(refused.code, "rate_limited");
  await clientsAs(limited, `dave-${randomUUID()}`).inventory.stockItems.list();
});

test("a frontend reads a record with the records it names through the gateway's BFF", async () => {
  const clients = clientsAs(gateway, "erin");
  const product = await clients.catalog.products.create({ name: "Lamp", price: 1200, category: "tools", tags: [], discontinued: false });
  const stock = await clients.inventory.stockItems.create({ productId: product.id, onHand: 3, reserved: 0 });
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${token("erin")}` });
  for (const frontend of ["web", "mobile"] as const) {
    const bff = createBffClient(frontend, { baseUrl: gateway, retries: 0, circuitBreaker: false, headers });
    const view = await bff.inventory.stockItems.get(stock.id);
    assert.equal(view.record.onHand, 3);
    assert.equal(view.refs.productId?.name, "Lamp");
    const page = await bff.inventory.stockItems.page({ limit: 100 });
    const mine = page.items.find((item) => item.record.id === stock.id);
    assert.equal(mine?.refs.productId?.id, product.id);
  }
  const anonymous = createBffClient("web", { baseUrl: gateway, retries: 0, circuitBreaker: false });
  assert.equal((await rejection(anonymous.inventory.stockItems.get(stock.id))).status, 401);
});
