/**
 * End to end, example `repair-shop`: the generated `scheduleRepair`
 * orchestrator, in Node, against the generated Rust backend (two servers:
 * no faults, and `invoicing.issueInvoice` failing, the last of four steps).
 * Checks that the records the workflow returns exist as the steps left them,
 * and that after the last step fails every earlier step was undone: the
 * bay's slot taken back, the work order cancelled, the parts returned.
 * Run by tests/e2e.rs.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { ApiError, createClients, scheduleRepair } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
}

const servers = { happy: env("HAPPY_URL"), lastStepFails: env("LAST_STEP_FAILS_URL") };

async function setup(baseUrl: string) {
  const clients = createClients({ baseUrl, retries: 0 });
  const vehicle = await clients.vehicles.vehicles.create({ vin: `VIN-${randomUUID()}`, model: "Estate" });
  const sku = `brake-pad-${randomUUID()}`;
  const part = await clients.parts.parts.create({ sku, name: "Brake pad", onHand: 5 });
  const bay = await clients.bays.bays.create({ label: "Bay 3", lift: true });
  const input = {
    lines: [{ sku, quantity: 2 }],
    vehicleId: vehicle.id,
    description: "Replace front brake pads",
    scheduledFor: "2027-02-14T09:00:00Z",
    bayId: bay.id,
    amount: "249.90",
  };
  return { clients, vehicle, part, bay, input };
}

test("happy path: the work order, the bay's slot and the invoice exist as the steps left them", async () => {
  const { clients, vehicle, part, bay, input } = await setup(servers.happy);
  const result = await scheduleRepair(clients, input);
  assert.equal(result.ok, true, JSON.stringify(result));
  if (!result.ok) return;
  const { open_work_order, assign_bay, issue_invoice } = result.output;

  const order = await clients.workOrders.workOrders.get(open_work_order.workOrderId);
  assert.equal(order.vehicleId, vehicle.id);
  assert.equal(order.description, input.description);
  assert.equal(Date.parse(order.scheduledFor ?? ""), Date.parse(input.scheduledFor));
  assert.equal(order.status, "open");
  assert.equal(order.cancelledAt ?? null, null);

  const invoice = await clients.invoicing.invoices.get(issue_invoice.invoiceId);
  assert.equal(invoice.workOrderId, open_work_order.workOrderId);
  assert.equal(Number(invoice.amount), 249.9);
  assert.equal(invoice.status, "issued");

  assert.equal((await clients.parts.parts.get(part.id)).onHand, 3);
  assert.equal((await clients.bays.bays.get(bay.id)).version, bay.version + 1, "the bay was assigned");

  // The slot is freed once; an id nobody issued, or one already freed, is refused.
  await clients.bays.freeBay({ slotId: assign_bay.slotId });
  await assert.rejects(clients.bays.freeBay({ slotId: assign_bay.slotId }));
  await assert.rejects(clients.bays.freeBay({ slotId: randomUUID() }));
});

test("the last step fails: slot taken back, work order cancelled, parts returned, no invoice", async () => {
  const { clients, vehicle, part, input } = await setup(servers.lastStepFails);
  const result = await scheduleRepair(clients, input);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "issue_invoice");
  assert.ok(result.error instanceof ApiError);
  assert.equal(result.error.status, 500, "the injected fault");
  assert.deepEqual(
    result.compensations.map((c) => `${c.step}:${c.status}`),
    ["assign_bay:compensated", "open_work_order:compensated", "reserve_parts:compensated"],
  );

  const orders = (await clients.workOrders.workOrders.list()).filter((o) => o.vehicleId === vehicle.id);
  assert.equal(orders.length, 1);
  assert.equal(orders[0]?.status, "cancelled");
  assert.ok(orders[0]?.cancelledAt, "cancelledAt is set by the cancellation");

  assert.equal((await clients.parts.parts.get(part.id)).onHand, 5, "parts returned");
  const invoices = (await clients.invoicing.invoices.list()).filter((i) => i.workOrderId === orders[0]?.id);
  assert.equal(invoices.length, 0);
});
