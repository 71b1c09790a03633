import { useEffect, useState } from "react";

/** The current time, refreshed every ``periodMs`` so relative ages tick without a refetch. */
export function useNow(periodMs = 10_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}
