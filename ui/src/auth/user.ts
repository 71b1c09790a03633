import { createContext, useContext } from "react";
import type { Whoami } from "../api/types";

/** The signed-in user; null when the server has no identity endpoint. */
export const UserContext = createContext<Whoami | null>(null);

export function useUser(): Whoami | null {
  return useContext(UserContext);
}
