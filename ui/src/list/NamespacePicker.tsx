import { useQuery } from "@tanstack/react-query";
import { fetchFullList } from "../api/queries";

/** All namespaces or one; falls back to a text field when namespaces cannot be listed. */
export function NamespacePicker({ cluster, value, onChange }: { cluster: string; value: string; onChange: (ns: string) => void }) {
  const names = useQuery({
    queryKey: ["namespace-names", cluster],
    queryFn: ({ signal }) =>
      fetchFullList(cluster, { plural: "namespaces" }, "", signal).then((list) => list.items.map((r) => r.name).sort()),
    staleTime: 60_000,
    retry: false,
  });
  if (names.isError) {
    return (
      <input
        className="input ns-input"
        aria-label="Namespace"
        placeholder="namespace"
        defaultValue={value}
        onKeyDown={(event) => {
          if (event.key === "Enter") onChange(event.currentTarget.value.trim());
        }}
        title="Namespaces cannot be listed with your permissions; type one and press Enter"
      />
    );
  }
  const options = names.data ?? [];
  return (
    <select className="input" aria-label="Namespace" value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">All namespaces</option>
      {value && !options.includes(value) && <option value={value}>{value}</option>}
      {options.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  );
}
