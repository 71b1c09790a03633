import { useState } from "react";
import { Outlet, useParams } from "react-router";
import { useUser } from "../auth/user";
import { ShortcutHelp } from "../help/ShortcutHelp";
import { CommandPalette } from "../palette/CommandPalette";
import { useHotkeys } from "../ui/hotkeys";
import { useTheme } from "../ui/theme";
import { ClusterRail } from "./ClusterRail";
import { TopBar } from "./TopBar";

/** The frame around every page: top bar, cluster rail, and the palette and help overlays. */
export function Shell() {
  const user = useUser();
  const { cluster } = useParams();
  const [theme, toggleTheme] = useTheme();
  const [overlay, setOverlay] = useState<"palette" | "help" | null>(null);
  useHotkeys({ "mod+k": () => setOverlay((o) => (o === "palette" ? null : "palette")) }, "always");
  useHotkeys({ "?": () => setOverlay("help"), t: toggleTheme });
  return (
    <div className="shell">
      {user?.mode === "dev" && (
        <div className="dev-banner" role="note">
          Development mode: no sign-in; everyone acts as <strong>{user.email || user.subject}</strong>.
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
      {overlay === "palette" && (
        <CommandPalette cluster={cluster} onClose={() => setOverlay(null)} onToggleTheme={toggleTheme} onHelp={() => setOverlay("help")} />
      )}
      {overlay === "help" && <ShortcutHelp onClose={() => setOverlay(null)} />}
    </div>
  );
}
