import { describe, expect, it } from "vitest";
import { agentEnvironment, defaultTunnelUrl } from "./onboarding";

describe("agent onboarding", () => {
  it("guesses the tunnel listener on the console's host, port 8443", () => {
    expect(defaultTunnelUrl("https://periscope.example.com")).toBe("wss://periscope.example.com:8443");
    expect(defaultTunnelUrl("http://127.0.0.1:8080")).toBe("wss://127.0.0.1:8443");
  });

  it("gives the agent every setting it needs for its first start", () => {
    const minted = { token: "tok-123", cluster: "prod-eu", expiresAt: "2026-11-22T09:30:00Z" };
    expect(agentEnvironment(minted, "https://periscope.example.com", "wss://agents.example.com:8443").split("\n")).toEqual([
      "PERISCOPE_SERVER_URL=wss://agents.example.com:8443",
      "PERISCOPE_REGISTRATION_URL=https://periscope.example.com",
      "PERISCOPE_CLUSTER_NAME=prod-eu",
      "PERISCOPE_REGISTRATION_TOKEN=tok-123",
    ]);
  });
});
