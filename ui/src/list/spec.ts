/** What a generic list needs to know about its kind, from the registry or from a CRD. */

import type { Source } from "../api/paths";
import type { CrdInfo, PrinterColumn, Row } from "../api/types";
import { ageColumn, nameColumn, namespaceColumn, printerColumns } from "../kinds/columns";
import { defaultSort, kindColumns, type KindDef } from "../kinds/registry";
import type { Column, SortSpec } from "../table/logic";

/** Where the object lives in the Kubernetes API, for edits and access checks. */
export interface Gvr {
  group: string;
  version: string;
  resource: string;
}

export interface ListSpec {
  source: Source;
  gvr: Gvr;
  kind: string;
  title: string;
  namespaced: boolean;
  streamable: boolean;
  pollSeconds: number;
  defaultSort: SortSpec | null;
  /** Columns for all namespaces or one; custom kinds use the server's printer columns. */
  columns: (allNamespaces: boolean, serverColumns: PrinterColumn[] | undefined) => Column<Row>[];
}

export function kindSpec(def: KindDef, watchStreams: readonly string[]): ListSpec {
  return {
    source: { plural: def.plural },
    gvr: { group: def.group, version: def.version, resource: def.resource },
    kind: def.kind,
    title: def.title,
    namespaced: def.namespaced,
    streamable: watchStreams.includes(def.plural),
    pollSeconds: def.pollSeconds,
    defaultSort: defaultSort(def.plural),
    columns: (allNamespaces) => kindColumns(def, allNamespaces),
  };
}

export function crdSpec(crd: CrdInfo, version: string): ListSpec {
  const namespaced = crd.scope === "Namespaced";
  const declared = crd.versions.find((v) => v.name === version)?.printerColumns ?? [];
  return {
    source: { plural: crd.plural, crd: { group: crd.group, version } },
    gvr: { group: crd.group, version, resource: crd.plural },
    kind: crd.kind,
    title: crd.kind,
    namespaced,
    // Custom resources are not streamed by the server.
    streamable: false,
    pollSeconds: 30,
    defaultSort: null,
    columns: (allNamespaces, serverColumns) => [
      nameColumn,
      ...(namespaced && allNamespaces ? [namespaceColumn] : []),
      ...printerColumns(serverColumns ?? declared.filter((c) => !c.priority)),
      ageColumn,
    ],
  };
}
