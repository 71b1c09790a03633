import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import { useWhoami } from "../api/queries";
import type { Whoami } from "../api/types";
import { Loading } from "../ui/states";
import { SignIn } from "./SignIn";

/** Renders the sign-in screen on 401; otherwise the app, told who the user is (null when the server has no
 * identity endpoint or it failed: browsing still works and each request reports its own errors). */
export function AuthGate({ children }: { children: (user: Whoami | null) => ReactNode }) {
  const whoami = useWhoami();
  if (whoami.isPending) return <Loading label="Starting Periscope…" />;
  if (whoami.error instanceof ApiError && whoami.error.status === 401) return <SignIn />;
  return <>{children(whoami.data ?? null)}</>;
}
