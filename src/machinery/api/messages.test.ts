/**
 * The messages of the machine, resource and security APIs survive the wire as their users rely on: 64-bit
 * numbers exact, oneofs as tagged unions, maps, optional fields that tell unset from zero, and byte
 * chunks that a reader of stele.common.v1alpha1.Data can read.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Data } from "./common/v1alpha1/common.ts";
import { EtcdStatusResponse } from "./machine/v1alpha1/etcd.ts";
import { EventAction, EventsResponse, ServiceState } from "./machine/v1alpha1/events.ts";
import {
  ApplyConfigurationRequest,
  ApplyMode,
  DmesgResponse,
  LogsRequest,
  LogsResponse,
  ReadResponse,
} from "./machine/v1alpha1/machine.ts";
import { EventType, Phase, WatchResponse } from "./resource/v1alpha1/resource.ts";

describe("machine messages", () => {
  test("an ApplyConfigurationRequest keeps its config bytes, mode and try timeout", () => {
    const request = ApplyConfigurationRequest.create({
      data: Buffer.from("apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\n"),
      mode: ApplyMode.APPLY_MODE_TRY,
      tryTimeout: { seconds: 90n, nanos: 0 },
    });
    const decoded = ApplyConfigurationRequest.decode(ApplyConfigurationRequest.encode(request).finish());
    assert.deepEqual(decoded, request);
    assert.equal(decoded.mode, "APPLY_MODE_TRY");
  });

  test("LogsRequest tells an unset tail_lines (the whole log) from 0 (no history)", () => {
    const whole = LogsRequest.decode(LogsRequest.encode({ ...LogsRequest.create(), id: "apid" }).finish());
    const none = LogsRequest.decode(LogsRequest.encode({ ...LogsRequest.create(), tailLines: 0 }).finish());
    assert.equal(whole.tailLines, undefined);
    assert.equal(none.tailLines, 0);
  });

  test("an event's payload comes back as the case it was sent as", () => {
    const event = EventsResponse.create({
      metadata: { hostname: "cp-1" },
      id: "01J0000000000000000000000A",
      actorId: "reboot-7",
      timestamp: new Date("2025-01-02T03:04:05.678Z"),
      event: {
        $case: "serviceState",
        value: {
          service: "etcd",
          state: ServiceState.SERVICE_STATE_RUNNING,
          message: "Health check successful",
          health: { unknown: false, healthy: true, lastMessage: "", lastChange: new Date(0) },
        },
      },
    });
    const decoded = EventsResponse.decode(EventsResponse.encode(event).finish());
    assert.deepEqual(decoded, event);
    assert.equal(decoded.event?.$case, "serviceState");
    if (decoded.event?.$case === "serviceState")
      assert.equal(decoded.event.value.state, "SERVICE_STATE_RUNNING");
  });

  test("any sequence event survives encode and decode", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(EventAction.EVENT_ACTION_START, EventAction.EVENT_ACTION_STOP),
        (sequence, action) => {
          const event = EventsResponse.create({ event: { $case: "sequence", value: { sequence, action } } });
          assert.deepEqual(EventsResponse.decode(EventsResponse.encode(event).finish()), event);
        },
      ),
    );
  });

  test("etcd's 64-bit ids and sizes stay exact beyond 2^53", () => {
    const response = EtcdStatusResponse.create({
      messages: [
        {
          memberStatus: {
            memberId: 0xfedcba9876543210n,
            protocolVersion: "3.5.16",
            dbSize: 2n ** 60n + 1n,
            dbSizeInUse: 9007199254740993n,
            leader: 0xfedcba9876543210n,
            raftIndex: 18446744073709551615n,
            raftTerm: 7n,
            raftAppliedIndex: 18446744073709551614n,
            errors: [],
            isLearner: false,
          },
        },
      ],
    });
    assert.deepEqual(EtcdStatusResponse.decode(EtcdStatusResponse.encode(response).finish()), response);
  });

  test("every chunk of bytes a stream sends reads as a stele.common.v1alpha1.Data", () => {
    const chunk = Data.create({ metadata: { hostname: "worker-1" }, bytes: Buffer.from("line 1\nline 2\n") });
    for (const message of [LogsResponse, DmesgResponse, ReadResponse]) {
      assert.deepEqual(Data.decode(message.encode(chunk).finish()), chunk);
      assert.deepEqual(message.decode(Data.encode(chunk).finish()), chunk);
    }
  });
});

describe("resource messages", () => {
  test("a watch event keeps the resource's metadata, labels, version and YAML spec", () => {
    const resource = {
      metadata: {
        namespace: "network",
        type: "AddressStatuses.net.stele.dev",
        id: "eth0/10.5.0.2/24",
        version: 2n ** 63n + 5n,
        phase: Phase.PHASE_RUNNING,
        owner: "network.AddressStatusController",
        labels: { "stele.dev/link": "eth0", family: "inet4" },
        created: new Date("2025-01-02T03:04:05.000Z"),
        updated: new Date("2025-01-02T03:04:06.250Z"),
        finalizers: ["network.RouteController"],
      },
      spec: { yaml: Buffer.from("address: 10.5.0.2/24\nlinkName: eth0\n") },
    };
    const event = WatchResponse.create({
      metadata: { hostname: "cp-1" },
      eventType: EventType.EVENT_TYPE_UPDATED,
      resource,
      old: { ...resource, metadata: { ...resource.metadata, version: 1n } },
    });
    assert.deepEqual(WatchResponse.decode(WatchResponse.encode(event).finish()), event);
  });
});
