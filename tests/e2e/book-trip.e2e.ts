/**
 * End to end, example `travel`: the generated `bookTrip` orchestrator, in
 * Node, against the generated Rust backend (two servers: no faults, and
 * `itineraries.createItinerary` failing, the last of four steps). Checks
 * that the records the workflow returns exist as the steps left them, and
 * that after the last step fails every earlier step was undone: seats given
 * back, the room cancelled, the payment refunded. Run by tests/e2e.rs.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { ApiError, OperationError, bookTrip, createClients } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
}

const servers = { happy: env("HAPPY_URL"), lastStepFails: env("LAST_STEP_FAILS_URL") };

async function setup(baseUrl: string, seats = 10) {
  const clients = createClients({ baseUrl, retries: 0 });
  const flight = await clients.flights.flights.create({
    code: `PA${Math.floor(Math.random() * 1000)}`,
    departsAt: "2027-03-01T08:30:00Z",
    seats,
    reserved: 0,
  });
  const traveller = `traveller-${randomUUID()}`;
  const input = {
    traveller,
    requests: [{ flightId: flight.id, quantity: 3 }],
    hotel: "Harbour View",
    nights: 4,
    checkIn: "2027-03-01T15:00:00Z",
    amount: "812.40",
  };
  return { clients, flight, traveller, input };
}

test("happy path: the itinerary names records that exist, as each step left them", async () => {
  const { clients, flight, traveller, input } = await setup(servers.happy);
  const result = await bookTrip(clients, input);
  assert.equal(result.ok, true, JSON.stringify(result));
  if (!result.ok) return;
  assert.deepEqual(result.completed, ["hold_seats", "book_room", "charge", "create_itinerary"]);
  const { hold_seats, book_room, charge, create_itinerary } = result.output;

  const itinerary = await clients.itineraries.itineraries.get(create_itinerary.itineraryId);
  assert.equal(itinerary.traveller, traveller);
  assert.equal(itinerary.holdId, hold_seats.holdId);
  assert.equal(itinerary.roomBookingId, book_room.roomBookingId);
  assert.equal(itinerary.paymentId, charge.paymentId);

  const room = await clients.hotels.roomBookings.get(book_room.roomBookingId);
  assert.equal(room.guest, traveller);
  assert.equal(room.hotel, "Harbour View");
  assert.equal(room.nights, 4);
  assert.equal(Date.parse(room.checkIn), Date.parse(input.checkIn));
  assert.equal(room.status, "confirmed");
  assert.equal(room.cancelledAt ?? null, null);

  const payment = await clients.payments.payments.get(charge.paymentId);
  assert.equal(payment.payer, traveller);
  assert.equal(Number(payment.amount), 812.4);
  assert.equal(payment.status, "captured");
  assert.equal(payment.refundedAt ?? null, null);

  assert.equal((await clients.flights.flights.get(flight.id)).reserved, 3);

  // The hold is given back once; a second release is refused.
  await clients.flights.releaseSeats({ holdId: hold_seats.holdId });
  assert.equal((await clients.flights.flights.get(flight.id)).reserved, 0);
  await assert.rejects(clients.flights.releaseSeats({ holdId: hold_seats.holdId }));
});

test("the last step fails: payment refunded, room cancelled, seats given back, no itinerary", async () => {
  const { clients, flight, traveller, input } = await setup(servers.lastStepFails);
  const result = await bookTrip(clients, input);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "create_itinerary");
  assert.ok(result.error instanceof ApiError);
  assert.equal(result.error.status, 500, "the injected fault");
  assert.deepEqual(
    result.compensations.map((c) => `${c.step}:${c.status}`),
    ["charge:compensated", "book_room:compensated", "hold_seats:compensated"],
  );
  assert.equal(result.compensationFailed, false);

  const payments = (await clients.payments.payments.list()).filter((p) => p.payer === traveller);
  assert.equal(payments.length, 1);
  assert.equal(payments[0]?.status, "refunded");
  assert.ok(payments[0]?.refundedAt, "refundedAt is set by the refund");

  const rooms = (await clients.hotels.roomBookings.list()).filter((r) => r.guest === traveller);
  assert.equal(rooms.length, 1);
  assert.equal(rooms[0]?.status, "cancelled");
  assert.ok(rooms[0]?.cancelledAt, "cancelledAt is set by the cancellation");

  assert.equal((await clients.flights.flights.get(flight.id)).reserved, 0, "seats given back");
  const itineraries = (await clients.itineraries.itineraries.list()).filter((i) => i.traveller === traveller);
  assert.equal(itineraries.length, 0);
});

test("more seats than the flight has: refused at the first step, nothing to undo", async () => {
  const { clients, flight, traveller, input } = await setup(servers.happy, 2);
  const result = await bookTrip(clients, input);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.failedStep, "hold_seats");
  assert.ok(result.error instanceof OperationError);
  assert.equal(result.error.code, "no_seats_left");
  assert.deepEqual(result.compensations, []);
  assert.equal((await clients.flights.flights.get(flight.id)).reserved, 0);
  const rooms = (await clients.hotels.roomBookings.list()).filter((r) => r.guest === traveller);
  assert.equal(rooms.length, 0);
});
