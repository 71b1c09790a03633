import { useEffect, useState } from "react";
import { setCsrfCookieName } from "../api/csrf";
import { Outlet, useParams } from "react-router";
import { useAuthConfig } from "../api/queries";
import { useUser } from "../auth/user";
import { ShortcutHelp } from "../help/ShortcutHelp";
import { CommandPalette } from "../palette/CommandPalette";
import { TerminalDrawer } from "../terminal/TerminalDrawer";
import { TerminalProvider } from "../terminal/TerminalContext";
import { useHotkeys } from "../ui/hotkeys";
import { useTheme } from "../ui/theme";
import { ToastProvider } from "../ui/toast";
import { ClusterRail } from "./ClusterRail";
import { TopBar } from "./TopBar";

/** The frame around every page: top bar, cluster rail, terminal drawer, toasts, and the palette and help overlays. */
export function Shell() {
  const user = useUser();
  const authConfig = useAuthConfig();
  const { cluster } = useParams();
  const [theme, toggleTheme] = useTheme();
  const [overlay, setOverlay] = useState<"palette" | "help" | null>(null);
  useHotkeys({ "mod+k": () => setOverlay((o) => (o === "palette" ? null : "palette")) }, "always");
  useHotkeys({ "?": () => setOverlay("help"), t: toggleTheme });
  const devMode = authConfig.data?.devBanner ?? user?.mode === "dev";
  const csrfCookie = authConfig.data?.csrfCookie;
  useEffect(() => setCsrfCookieName(csrfCookie), [csrfCookie]);
  return (
    <ToastProvider>
      <TerminalProvider>
        <div className="shell">
          {devMode && (
            <div className="dev-banner" role="note" data-testid="dev-banner">
              Development mode: no sign-in; everyone acts as <strong>{user?.email || user?.subject || "the dev identity"}</strong>
              {user?.tier && <> with the {user.tier} tier</>}.
            </div>
          )}
          <TopBar
            cluster={cluster}
            user={user}
            theme={theme}
            onToggleTheme={toggleTheme}
            onPalette={() => setOverlay("palette")}
            onHelp={() => setOverlay("help")}
          />
          <div className="frame">
            <ClusterRail current={cluster} />
            <main className="content">
              <Outlet />
            </main>
          </div>
          <TerminalDrawer />
          {overlay === "palette" && (
            <CommandPalette cluster={cluster} onClose={() => setOverlay(null)} onToggleTheme={toggleTheme} onHelp={() => setOverlay("help")} />
          )}
          {overlay === "help" && <ShortcutHelp onClose={() => setOverlay(null)} />}
        </div>
      </TerminalProvider>
    </ToastProvider>
  );
}
