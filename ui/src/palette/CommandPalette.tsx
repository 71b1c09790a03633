/** Cmd/Ctrl+K: jump to a cluster, a kind, or any object by name. */

import { useQueries } from "@tanstack/react-query";
import { useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { fetchFullList, useClusters, useCrds } from "../api/queries";
import { kindByPlural, KINDS } from "../kinds/registry";
import { clusterPath, listPath, objectHref } from "../state/url";
import { useOverlay } from "../ui/hotkeys";
import { Icon } from "../ui/Icon";
import { matchesWords, rank, type Candidate } from "./search";

/** The kinds searched by name, as in the original console. */
const SEARCHED = ["pods", "deployments", "statefulsets", "daemonsets", "services", "configmaps", "secrets", "namespaces", "nodes"];

interface Entry {
  id: string;
  label: string;
  hint: string;
  run: () => void;
}

interface Props {
  cluster: string | undefined;
  onClose: () => void;
  onToggleTheme: () => void;
  onHelp: () => void;
}

function useObjectCandidates(cluster: string | undefined): { candidates: Candidate[]; loading: boolean } {
  return useQueries({
    queries: SEARCHED.map((plural) => ({
      queryKey: ["palette", cluster, plural],
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchFullList(cluster ?? "", { plural }, "", signal),
      enabled: cluster !== undefined,
      staleTime: 30_000,
      retry: false,
    })),
    combine: (results) => ({
      candidates: results.flatMap((result, i) =>
        (result.data?.items ?? []).map((row) => ({ kind: SEARCHED[i] ?? "", name: row.name, namespace: row.namespace })),
      ),
      loading: results.some((r) => r.isFetching && !r.data),
    }),
  });
}

export function CommandPalette({ cluster, onClose, onToggleTheme, onHelp }: Props) {
  useOverlay();
  const navigate = useNavigate();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const clusters = useClusters();
  const crds = useCrds(cluster);
  const objects = useObjectCandidates(cluster);

  const go = (to: string) => () => {
    navigate(to);
    onClose();
  };
  const commands: Entry[] = [
    { id: "fleet", label: "Fleet", hint: "page", run: go("/") },
    { id: "audit", label: "Audit log", hint: "page", run: go("/audit") },
    ...(clusters.data ?? []).map((c) => ({ id: `cluster:${c.name}`, label: `Cluster ${c.name}`, hint: c.environment ?? "cluster", run: go(clusterPath(c.name)) })),
    ...(cluster
      ? [
          ...KINDS.map((k) => ({ id: `kind:${k.plural}`, label: `${k.title} on ${cluster}`, hint: k.section, run: go(listPath(cluster, { plural: k.plural })) })),
          ...(crds.data ?? []).map((crd) => ({
            id: `crd:${crd.name}`,
            label: `${crd.kind} on ${cluster}`,
            hint: crd.group,
            run: go(listPath(cluster, { plural: crd.plural, crd: { group: crd.group, version: crd.servedVersion } })),
          })),
        ]
      : []),
    { id: "theme", label: "Toggle light/dark theme", hint: "t", run: () => (onToggleTheme(), onClose()) },
    { id: "help", label: "Keyboard shortcuts", hint: "?", run: () => (onClose(), onHelp()) },
  ];
  const matchingCommands = commands.filter((c) => matchesWords(c.label, query)).slice(0, query ? 12 : 8);
  const objectEntries: Entry[] =
    cluster && query.trim().length >= 2
      ? rank(objects.candidates, query).map((o) => {
          const def = kindByPlural(o.kind);
          return {
            id: `obj:${o.kind}/${o.namespace}/${o.name}`,
            label: o.name,
            hint: `${def?.kind ?? o.kind}${o.namespace ? ` · ${o.namespace}` : ""}`,
            run: go(objectHref(cluster, { plural: o.kind }, { namespace: o.namespace, name: o.name })),
          };
        })
      : [];
  const entries = [...objectEntries, ...matchingCommands];
  const current = Math.min(active, Math.max(0, entries.length - 1));

  const onKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown") setActive((current + 1) % Math.max(1, entries.length));
    else if (event.key === "ArrowUp") setActive((current - 1 + entries.length) % Math.max(1, entries.length));
    else if (event.key === "Enter") entries[current]?.run();
    else if (event.key === "Escape") onClose();
    else return;
    event.preventDefault();
  };

  return (
    <div className="overlay" onMouseDown={onClose}>
      <div className="palette" role="dialog" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <div className="palette-input">
          <Icon name="search" />
          <input
            autoFocus
            placeholder={cluster ? `Search ${cluster} by name, or jump to a page…` : "Jump to a cluster or page…"}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={onKey}
            aria-label="Search"
          />
          {objects.loading && <span className="spinner" aria-label="Searching" />}
        </div>
        <ul className="palette-list" role="listbox">
          {entries.map((entry, i) => (
            <li
              key={entry.id}
              role="option"
              aria-selected={i === current}
              className={`palette-item${i === current ? " active" : ""}`}
              onMouseEnter={() => setActive(i)}
              onClick={entry.run}
            >
              <span className="palette-label">{entry.label}</span>
              <span className="palette-hint">{entry.hint}</span>
            </li>
          ))}
          {entries.length === 0 && <li className="palette-empty">No matches</li>}
        </ul>
        {!cluster && <div className="palette-foot">Open a cluster to search its objects by name.</div>}
      </div>
    </div>
  );
}
