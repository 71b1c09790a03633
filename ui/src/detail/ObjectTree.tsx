/** A compact, read-only tree of nested values; large arrays and deep levels are cut short. */

const MAX_DEPTH = 8;
const MAX_ITEMS = 200;

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="y-null">null</span>;
  if (typeof value === "number") return <span className="y-num">{value}</span>;
  if (typeof value === "boolean") return <span className="y-bool">{String(value)}</span>;
  return <span className="y-plain">{String(value)}</span>;
}

export function ObjectTree({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || typeof value !== "object") return <Scalar value={value} />;
  if (depth >= MAX_DEPTH) return <span className="text-muted">…</span>;
  const entries = Array.isArray(value) ? value.map((item, i) => [`[${i}]`, item] as const) : Object.entries(value);
  if (entries.length === 0) return <span className="text-muted">{Array.isArray(value) ? "[]" : "{}"}</span>;
  return (
    <ul className="tree">
      {entries.slice(0, MAX_ITEMS).map(([key, item]) => (
        <li key={key}>
          <span className="y-key">{key}</span>
          <span className="y-punct">: </span>
          <ObjectTree value={item} depth={depth + 1} />
        </li>
      ))}
      {entries.length > MAX_ITEMS && <li className="text-muted">… {entries.length - MAX_ITEMS} more (see YAML)</li>}
    </ul>
  );
}
