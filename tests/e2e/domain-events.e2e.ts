/**
 * End to end, the canonical example generated with `--event-style
 * domain-events`: the generated TypeScript store and event stream against
 * the generated Rust backend. Each event names its aggregate, the version
 * the change made and the request that caused it (`X-Request-Id`), and the
 * store fetches an entity again only for a version it does not hold.
 * Run by tests/e2e.rs.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { EventSource } from "eventsource";

import { type DomainEvent, EventStream, type EventSourceLike, type FetchLike, createClients, stockItemStore } from "../src/index.js";

const baseUrl = process.env["HAPPY_URL"];
if (baseUrl === undefined) throw new Error("set HAPPY_URL");

const eventSource = (url: string) => new EventSource(url) as unknown as EventSourceLike;

/** What `probe` answers once it answers something; fails after five seconds. */
async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`waited for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("events carry the version they made and their cause; the store skips versions it holds", async () => {
  const reads: string[] = [];
  const counting: FetchLike = (input, init) => {
    if ((init?.method ?? "GET") === "GET") reads.push(input);
    return globalThis.fetch(input, init);
  };
  const mine = createClients({ baseUrl, retries: 0, fetch: counting, headers: { "x-request-id": "mine" } });
  const theirs = createClients({ baseUrl, retries: 0, headers: { "x-request-id": "theirs" } });
  const events: DomainEvent[] = [];
  const stream = new EventStream({ baseUrl, eventSource, types: ["stock_item."] });
  stream.onAny((event) => events.push(event));
  const store = stockItemStore(mine);
  store.follow(stream);
  stream.connect();
  try {
    // The stream is live once it delivered an event: until then, an event
    // may be published before the service subscribed the stream.
    const deadline = Date.now() + 5_000;
    while (events.length === 0) {
      if (Date.now() > deadline) assert.fail("the stream delivered nothing");
      await theirs.inventory.stockItems.create({ productId: `warm-up-${randomUUID()}`, onHand: 0, reserved: 0 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Someone else creates an item: the store has no version of it, so it fetches it.
    const productId = `product-${randomUUID()}`;
    const created = await theirs.inventory.stockItems.create({ productId, onHand: 10, reserved: 0 });
    const made = (version: number) =>
      until(`version ${version}`, () => events.find((e) => e.entityId === created.id && e.aggregateVersion === version));
    const first = await made(1);
    assert.equal(first.type, "stock_item.created");
    assert.equal(first.aggregateType, "StockItem");
    assert.equal(first.causationId, "theirs");
    await until("the store to hold version 1", () => (store.get(created.id)?.version === 1 ? true : undefined));
    const ofItem = () => reads.filter((url) => url.includes(created.id)).length;
    assert.equal(ofItem(), 1);

    // Our own write, made while the stream is closed: the store holds its
    // response (version 2), and the event of it, delivered on resuming,
    // fetches nothing.
    stream.close();
    const saved = await store.update(created.id, { onHand: 5 });
    assert.equal(saved.version, 2);
    stream.connect();
    const second = await made(2);
    assert.equal(second.type, "stock_item.updated");
    assert.equal(second.causationId, "mine");
    assert.equal(second.correlationId === first.correlationId, false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(ofItem(), 1);
    assert.deepEqual(store.get(created.id), saved);

    // Someone else's change: a version the store does not hold, fetched once.
    await theirs.inventory.stockItems.update(created.id, { onHand: 7 }, 2);
    const third = await made(3);
    assert.equal(third.causationId, "theirs");
    await until("the store to hold version 3", () => (store.get(created.id)?.version === 3 ? true : undefined));
    assert.equal(store.get(created.id)?.onHand, 7);
    assert.equal(ofItem(), 2);
  } finally {
    stream.close();
  }
});
