import { statusTone, type Tone } from "./format";

/** A status word with a coloured dot, e.g. "● CrashLoopBackOff". */
export function Status({ value, tone }: { value: string; tone?: Tone }) {
  const resolved = tone ?? statusTone(value);
  return (
    <span className={`status status-${resolved}`} title={value}>
      <span className="status-dot" aria-hidden="true" />
      {value || "—"}
    </span>
  );
}
