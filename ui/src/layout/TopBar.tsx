import { Link, useLocation } from "react-router";
import { UserMenu } from "../auth/UserMenu";
import type { Whoami } from "../api/types";
import { kindByPlural } from "../kinds/registry";
import { clusterPath } from "../state/url";
import { Icon } from "../ui/Icon";
import type { Theme } from "../ui/theme";

/** Fleet › cluster › kind, read from the path. */
function Crumbs({ cluster }: { cluster: string | undefined }) {
  const { pathname } = useLocation();
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const page = parts[2] === "customresources" ? parts[5] : parts[2];
  const title = parts[0] === "audit" ? "Audit log" : page ? (kindByPlural(page)?.title ?? page) : undefined;
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      <Link to="/">Fleet</Link>
      {cluster && (
        <>
          <Icon name="chevron" size={12} />
          <Link to={clusterPath(cluster)}>{cluster}</Link>
        </>
      )}
      {title && (
        <>
          <Icon name="chevron" size={12} />
          <span>{title === "crds" ? "Custom resources" : title}</span>
        </>
      )}
    </nav>
  );
}

interface Props {
  cluster: string | undefined;
  user: Whoami | null;
  theme: Theme;
  onToggleTheme: () => void;
  onPalette: () => void;
  onHelp: () => void;
}

export function TopBar({ cluster, user, theme, onToggleTheme, onPalette, onHelp }: Props) {
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        <img src="/favicon.svg" alt="" width={20} height={20} />
        Periscope
      </Link>
      <Crumbs cluster={cluster} />
      <button type="button" className="search-button" onClick={onPalette}>
        <Icon name="search" size={14} />
        <span>Search or jump to…</span>
        <kbd>{/Mac|iPhone|iPad/.test(navigator.platform) ? "⌘K" : "Ctrl K"}</kbd>
      </button>
      <div className="topbar-end">
        <button type="button" className="icon-btn" onClick={onToggleTheme} title="Toggle theme (t)" aria-label="Toggle theme">
          <Icon name={theme === "dark" ? "sun" : "moon"} />
        </button>
        <button type="button" className="icon-btn" onClick={onHelp} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          <Icon name="help" />
        </button>
        {user && <UserMenu user={user} />}
      </div>
    </header>
  );
}
