import { describe, expect, it } from "vitest";
import { transferProgressView } from "../../src/cli/transfer-progress.js";

/** A stderr stand-in; `isTTY` decides whether bars may be drawn. `until` resolves once the text matches. */
function sink(isTTY: boolean) {
  let text = "";
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  return {
    isTTY,
    columns: 100,
    get text() {
      return text;
    },
    until(pattern: RegExp): Promise<void> {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ pattern, resolve }));
    },
    write: (s: string) => {
      text += s;
      for (const w of waiting.splice(0)) {
        if (w.pattern.test(text)) w.resolve();
        else waiting.push(w);
      }
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => undefined,
    removeListener: () => undefined,
  };
}

const event = { phase: "uploading" as const, bytes: 512, totalBytes: 1024, file: "/tmp/ctx.kv" };

describe("CLI transfer progress", () => {
  it("draws a bar per file on a TTY", async () => {
    const stderr = sink(true);
    let redrawn: () => void = () => undefined;
    const view = transferProgressView({ stderr, json: false, quiet: false, onRedraw: () => redrawn() });
    view.onProgress(event);
    view.onProgress({ ...event, file: "/tmp/other.kv", phase: "hashing" });
    // Bars redraw on a timer: wait for the next redraw, which shows both bars with their latest state.
    await new Promise<void>((resolve) => (redrawn = resolve));
    view.stop();
    expect(stderr.text).toContain("ctx.kv uploading");
    expect(stderr.text).toContain("512 B/1.0 KiB");
    expect(stderr.text).toContain("other.kv hashing");
  });

  it.each([
    ["stderr is not a TTY", false, false, false],
    ["--json", true, true, false],
    ["--quiet", true, false, true],
  ])("draws nothing when %s", (_label, isTTY, json, quiet) => {
    const stderr = sink(isTTY);
    const view = transferProgressView({ stderr, json, quiet });
    view.onProgress(event);
    view.stop();
    expect(stderr.text).toBe("");
  });
});
