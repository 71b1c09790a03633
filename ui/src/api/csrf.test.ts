import { describe, expect, it } from "vitest";
import { csrfToken, setCsrfCookieName } from "./csrf";

describe("csrfToken", () => {
  it("reads the default CSRF cookie among others", () => {
    expect(csrfToken("theme=dark; periscope_session_csrf=abc-123; other=1")).toBe("abc-123");
  });

  it("falls back to a renamed session's CSRF cookie", () => {
    expect(csrfToken("ops_csrf=xyz")).toBe("xyz");
    expect(csrfToken("ops_csrf=xyz; periscope_session_csrf=main")).toBe("main");
  });

  it("prefers the cookie the server published", () => {
    expect(csrfToken("ops_csrf=xyz; periscope_session_csrf=main", "ops_csrf")).toBe("xyz");
    setCsrfCookieName("ops_csrf");
    expect(csrfToken("periscope_session_csrf=main; ops_csrf=xyz")).toBe("xyz");
    setCsrfCookieName(undefined);
    expect(csrfToken("ops_csrf=xyz; periscope_session_csrf=main")).toBe("main");
  });

  it("is undefined without one (dev mode) or when it is empty", () => {
    expect(csrfToken("")).toBeUndefined();
    expect(csrfToken("periscope_session_csrf=; a=b")).toBeUndefined();
  });

  it("decodes percent-encoded values", () => {
    expect(csrfToken("periscope_session_csrf=a%2Bb")).toBe("a+b");
  });
});
