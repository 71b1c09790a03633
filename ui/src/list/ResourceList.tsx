/** The one list page: toolbar, virtualised table and detail pane for any kind, state kept in the URL. */

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import type { Row } from "../api/types";
import { DetailPane, WIDE_TABS } from "../detail/DetailPane";
import { listSearch, parseListState, type ListUrlState } from "../state/url";
import { useLiveList } from "../stream/useLiveList";
import { filterRows, nextSort, sortRows } from "../table/logic";
import { VirtualTable } from "../table/VirtualTable";
import { useHotkeys } from "../ui/hotkeys";
import { Empty, ErrorState, Loading } from "../ui/states";
import { useNow } from "../ui/useNow";
import { ListToolbar } from "./ListToolbar";
import type { ListSpec } from "./spec";

const keyOf = (row: Row) => `${row.namespace}/${row.name}`;

export function ResourceList({ cluster, spec }: { cluster: string; spec: ListSpec }) {
  const [params, setParams] = useSearchParams();
  const state = parseListState(params);
  const update = useCallback(
    (patch: Partial<ListUrlState>, replace = false) => {
      const next = { ...parseListState(params), ...patch };
      setParams(new URLSearchParams(listSearch(next).slice(1)), { replace });
    },
    [params, setParams],
  );

  const live = useLiveList(cluster, spec.source, spec.namespaced ? state.namespace : "", spec);
  const now = useNow();
  const allNamespaces = !state.namespace;
  const narrow = state.selection !== null;
  const columns = useMemo(
    () => spec.columns(allNamespaces, live.columns).filter((c) => !(narrow && c.optional)),
    [spec, allNamespaces, live.columns, narrow],
  );
  const sort = state.sort ?? spec.defaultSort;
  const rows = useMemo(
    () => sortRows(filterRows(live.rows, state.filter), columns, sort),
    [live.rows, state.filter, columns, sort],
  );

  // The cursor follows a row (by key), not a position, so live re-sorting does not move it to another object.
  const selectedKey = state.selection ? `${state.selection.namespace}/${state.selection.name}` : null;
  const [cursorKey, setCursorKey] = useState<string | null>(selectedKey);
  useEffect(() => setCursorKey(selectedKey), [selectedKey]);
  const cursor = useMemo(() => (cursorKey ? rows.findIndex((r) => keyOf(r) === cursorKey) : -1), [rows, cursorKey]);
  const filterInput = useRef<HTMLInputElement>(null);
  const open = (row: Row) => update({ selection: { namespace: row.namespace, name: row.name }, tab: state.tab });
  const move = (delta: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, cursor + delta))];
    if (row) setCursorKey(keyOf(row));
  };
  useHotkeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    Enter: () => {
      const row = rows[cursor];
      if (row) open(row);
    },
    Escape: () => update({ selection: null }),
    "/": () => filterInput.current?.focus(),
  });

  let body;
  if (live.isLoading) body = <Loading label={`Loading ${spec.title.toLowerCase()}…`} />;
  else if (live.error && live.rows.length === 0) {
    body = (
      <ErrorState
        error={live.error}
        attempt={{ verb: "list", resource: spec.source.plural, namespace: state.namespace || undefined }}
        onRetry={live.refetch}
      />
    );
  } else if (rows.length === 0) {
    const where = state.namespace ? ` in namespace ${state.namespace}` : "";
    body = (
      <Empty title={state.filter ? `No ${spec.title.toLowerCase()} match “${state.filter}”` : `No ${spec.title.toLowerCase()}${where}`}>
        {state.filter ? "Clear the filter or try a label term such as app=web." : "New objects appear here as they are created."}
      </Empty>
    );
  } else {
    body = (
      <VirtualTable
        rows={rows}
        columns={columns}
        rowKey={keyOf}
        sort={sort}
        onSort={(column) => update({ sort: nextSort(sort, column) })}
        cursor={cursor}
        selectedKey={selectedKey}
        onOpen={open}
        now={now}
        label={spec.title}
      />
    );
  }

  const selectedRow = selectedKey ? live.rows.find((r) => keyOf(r) === selectedKey) : undefined;
  const wide = state.selection !== null && WIDE_TABS.includes(state.tab);
  return (
    <div className={`list-page${state.selection ? " with-detail" : ""}${wide ? " wide-detail" : ""}`}>
      <ListToolbar
        cluster={cluster}
        spec={spec}
        namespace={state.namespace}
        filter={state.filter}
        shown={rows.length}
        live={live}
        filterInput={filterInput}
        onNamespace={(ns) => update({ namespace: ns, selection: null })}
        onFilter={(filter) => update({ filter }, true)}
      />
      <div className="list-body">
        <div className="list-main">{body}</div>
        {state.selection && (
          <DetailPane
            cluster={cluster}
            spec={spec}
            selection={state.selection}
            tab={state.tab}
            liveVersion={selectedRow?.resourceVersion}
            onTab={(tab) => update({ tab })}
            onClose={() => update({ selection: null })}
          />
        )}
      </div>
    </div>
  );
}
