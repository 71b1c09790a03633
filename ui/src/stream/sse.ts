/** A server-sent events parser: text chunks in, complete events out (no I/O, so it is tested byte for byte). */

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export class SseParser {
  private pending = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  /** The last ``id:`` seen, sent back as Last-Event-ID when reconnecting. */
  lastEventId: string | undefined;

  feed(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    let text = this.pending + chunk;
    // A trailing CR may be the first half of a CRLF split across chunks.
    const holdCr = text.endsWith("\r");
    if (holdCr) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.pending = (lines.pop() ?? "") + (holdCr ? "\r" : "");
    for (const line of lines) {
      const dispatched = this.line(line);
      if (dispatched) events.push(dispatched);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.id !== undefined) this.lastEventId = this.id;
    const event =
      this.data.length === 0 ? null : { event: this.event || "message", data: this.data.join("\n"), id: this.id };
    this.data = [];
    this.event = "";
    this.id = undefined;
    return event;
  }
}
