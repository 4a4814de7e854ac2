import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSteleError, SteleError } from "../../../machinery/errors.ts";
import { MachineEvents } from "../events/machine-events.ts";
import { Sequencer } from "./sequencer.ts";

const describeEvents = (events: MachineEvents) =>
  events.history().map(({ payload: p }) => {
    if (p.kind === "sequence") return `${p.sequence} ${p.action}${p.error ? ` ${p.error.code}` : ""}`;
    if (p.kind === "phase") return `  ${p.phase} ${p.action}`;
    if (p.kind === "task") return `    ${p.task} ${p.action}`;
    return p.kind;
  });

describe("Sequencer", () => {
  test("a second sequence while one runs is refused at once as busy, naming the running one", async () => {
    const sequencer = new Sequencer(new MachineEvents());
    let release!: () => void;
    const first = sequencer.start("reboot", () => new Promise<void>((resolve) => (release = resolve)));
    assert.throws(
      () => sequencer.start("reset", async () => {}),
      (error) =>
        isSteleError(error) &&
        error.code === "busy" &&
        error.message.startsWith("Sequence reboot is running: "),
    );
    release();
    await first.done;
    assert.equal(sequencer.running, undefined);
    await sequencer.start("reset", async () => {}).done;
  });

  test("records sequences, phases, tasks and nested sequences in order, tagged with the actor", async () => {
    const events = new MachineEvents();
    const sequencer = new Sequencer(events);
    const { actorId, done } = sequencer.start("reboot", async (context) => {
      await context.phase("stopServices", () => context.task("stopAll", () => {}));
      await context.sequence("boot", (inner) => inner.phase("loadConfig", () => {}));
    });
    await done;
    assert.deepEqual(describeEvents(events), [
      "reboot start",
      "  stopServices start",
      "    stopAll start",
      "    stopAll stop",
      "  stopServices stop",
      "boot start",
      "  loadConfig start",
      "  loadConfig stop",
      "boot stop",
      "reboot stop",
    ]);
    assert.ok(events.history().every((event) => event.actorId === actorId));
  });

  test("a failed sequence stops with its error and releases the lock", async () => {
    const events = new MachineEvents();
    const sequencer = new Sequencer(events);
    const { done } = sequencer.start("apply", async () => {
      throw new SteleError("io", "Disk gone: sda");
    });
    await assert.rejects(done, /Disk gone/);
    assert.deepEqual(describeEvents(events), ["apply start", "apply stop io"]);
    assert.equal(sequencer.running, undefined);
  });
});
